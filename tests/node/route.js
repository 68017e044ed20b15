'use strict';
// Asks the nameserver, through ali-ons' own remoting client, for a topic route and the cluster info.
// Usage: WASMQ_NAMESRV=host:port node route.js [--topic TBW102]
// Prints {"event":"route","topic":..,"route":{..}} or {"event":"route_error","code":..,"message":..},
// then {"event":"cluster","info":{..}} (or cluster_error), then {"event":"done"}.

const JSON2 = require('JSON2');
const MQClientAPI = require('ali-ons/lib/mq_client_api');
const RemotingCommand = require('ali-ons/lib/protocol/command/remoting_command');
const { parseArgs, emit, fail, makeLogger, clientOptions } = require('./common');

const GET_BROKER_CLUSTER_INFO = 106;

async function main() {
  const args = parseArgs({ topic: 'TBW102', timeoutMs: 5000 });
  const api = new MQClientAPI(clientOptions(makeLogger()));
  await api.ready();
  try {
    const route = await api.getTopicRouteInfoFromNameServer(args.topic, args.timeoutMs);
    emit({ event: 'route', topic: args.topic, route });
  } catch (err) {
    emit({ event: 'route_error', topic: args.topic, code: err.code, message: err.message });
  }
  const request = RemotingCommand.createRequestCommand(GET_BROKER_CLUSTER_INFO, null);
  const response = await api.invokeForNameSrvAtLeastOnce(request, args.timeoutMs);
  if (response.code === 0 && response.body) {
    emit({ event: 'cluster', info: JSON2.parse(response.body.toString()) });
  } else {
    emit({ event: 'cluster_error', code: response.code, message: response.remark });
  }
  await api.close();
  emit({ event: 'done' });
}

main().catch(err => fail(err.stack || String(err), { code: err.code }));

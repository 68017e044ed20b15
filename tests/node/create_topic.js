'use strict';
// Creates a topic the way ali-ons can: UPDATE_AND_CREATE_TOPIC (ali-ons MQClientAPI#createTopic) on
// every master that serves TBW102, then waits until the nameserver has a route for it.
// ali-ons cannot send to a topic the nameserver does not know (a route lookup answered 17 makes
// Producer#send throw; it has no TBW102 fallback unlike the Java client), so tests create topics first.
// Usage: WASMQ_NAMESRV=host:port node create_topic.js --topic T [--queues 4] [--timeout-ms 10000]
// Prints {"event":"created","broker":addr} per broker, then {"event":"route","route":{..}}.

const MQClientAPI = require('ali-ons/lib/mq_client_api');
const { parseArgs, emit, fail, makeLogger, clientOptions } = require('./common');

async function main() {
  const args = parseArgs({ topic: '', queues: 4, timeoutMs: 10000 });
  if (!args.topic) fail('--topic is required');
  const api = new MQClientAPI(clientOptions(makeLogger()));
  await api.ready();
  const tbw = await api.getDefaultTopicRouteInfoFromNameServer('TBW102', 3000);
  for (const bd of tbw.brokerDatas) {
    const addr = bd.brokerAddrs['0'];
    if (!addr) continue;
    await api.createTopic(addr, 'TBW102', {
      topicName: args.topic, readQueueNums: args.queues, writeQueueNums: args.queues, perm: 6,
      topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
    }, 3000);
    emit({ event: 'created', broker: addr });
  }
  const deadline = Date.now() + args.timeoutMs;
  for (;;) {
    try {
      const route = await api.getTopicRouteInfoFromNameServer(args.topic, 3000);
      emit({ event: 'route', route });
      break;
    } catch (err) {
      if (err.code !== 17 || Date.now() > deadline) throw err;
      await new Promise(resolve => setTimeout(resolve, 50)); // poll the condition until the deadline
    }
  }
  await api.close();
}

main().catch(err => fail(err.stack || String(err), { code: err.code }));

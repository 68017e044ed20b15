'use strict';
// A live ali-ons producer and push consumer in one process, for the admin verbs that list live
// clients (producerConnection, consumerConnection). Runs until SIGTERM/SIGINT.
// Usage: WASMQ_NAMESRV=host:port node admin_live.js --producer-group PG --group G --topic T
// Events: started {producerClientId, consumerClientId}, msg {msgId, body, queueId, queueOffset},
// closed {received}.

const { Producer, Consumer } = require('ali-ons');
const { parseArgs, emit, fail, makeLogger, clientOptions } = require('./common');

async function main() {
  const args = parseArgs({ producerGroup: '', group: '', topic: '' });
  if (!args.producerGroup || !args.group || !args.topic) fail('--producer-group, --group and --topic are required');
  const logger = makeLogger();
  const producer = new Producer(clientOptions(logger, { producerGroup: args.producerGroup }));
  producer.on('error', err => process.stderr.write(`producer error: ${err.stack || err}\n`));
  const consumer = new Consumer(clientOptions(logger, {
    consumerGroup: args.group, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  }));
  consumer.on('error', err => process.stderr.write(`consumer error: ${err.stack || err}\n`));
  let received = 0;
  consumer.subscribe(args.topic, '*', async msg => {
    received++;
    emit({ event: 'msg', msgId: msg.msgId, body: msg.body ? msg.body.toString() : '', queueId: msg.queueId,
      queueOffset: Number(msg.queueOffset) });
  });
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    // In-flight requests (a held pull) fail as the sockets close; that is the shutdown, not an error.
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', () => {});
    await consumer.close().catch(() => {});
    await producer.close().catch(() => {});
    emit({ event: 'closed', received });
    process.exit(0);
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
  await Promise.all([ producer.ready(), consumer.ready() ]);
  emit({ event: 'started', producerClientId: producer.clientId, consumerClientId: consumer.clientId });
}

main().catch(err => fail(err.stack || String(err), { code: err.code }));

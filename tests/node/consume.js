'use strict';
// Push-consumes with ali-ons and prints every delivered message.
// Usage: WASMQ_NAMESRV=host:port node consume.js --group G --topic T [--sub '*'] [--count N]
//          [--linger-ms 0] [--timeout-ms 60000] [--from first|last] [--rebalance-ms 10000]
//          [--fail-times 0] [--max-reconsume 16] [--sql "e2e_index >= 5"]
// Stops (closing the consumer, which commits offsets) once --count messages arrived and --linger-ms
// more passed (to catch duplicates), on SIGTERM/SIGINT, or at --timeout-ms (exit code 3).
// --count 0 = until a signal. --fail-times K: each message is answered ACTION_RETRY on its first K
// deliveries (counted per original msgId), to exercise retry topics. --sql subscribes with a SQL92
// selector (expressionType SQL92) instead of the --sub tag expression.
// Events: started, allocated {queues:[queueId..]}, msg {...}, client_filtered {tags},
// closed {received}, timeout {received}.

const { Consumer } = require('ali-ons');
const { parseArgs, emit, fail, makeLogger, clientOptions } = require('./common');

async function main() {
  const args = parseArgs({
    group: '', topic: '', sub: '*', count: 0, lingerMs: 0, timeoutMs: 60000, from: 'first',
    rebalanceMs: 10000, failTimes: 0, maxReconsume: 16, sql: '',
  });
  if (!args.group || !args.topic) fail('--group and --topic are required');
  const logger = makeLogger(debugArgs => {
    const text = String(debugArgs[0]);
    if (text.startsWith('[MQPushConsumer] message filter by tags')) {
      emit({ event: 'client_filtered', tags: debugArgs[debugArgs.length - 1] });
    }
  });
  const newConsumer = () => {
    const c = new Consumer(clientOptions(logger, {
      consumerGroup: args.group,
      consumeFromWhere: args.from === 'last' ? 'CONSUME_FROM_LAST_OFFSET' : 'CONSUME_FROM_FIRST_OFFSET',
      rebalanceInterval: args.rebalanceMs,
      maxReconsumeTimes: args.maxReconsume,
    }));
    c.on('error', err => process.stderr.write(`consumer error: ${err.stack || err}\n`));
    return c;
  };
  let consumer = newConsumer();

  let received = 0;
  let closing = false;
  const attempts = new Map();
  const close = async (event, code) => {
    if (closing) return;
    closing = true;
    await consumer.close();
    emit({ event, received });
    process.exit(code);
  };
  process.on('SIGTERM', () => close('closed', 0));
  process.on('SIGINT', () => close('closed', 0));
  setTimeout(() => close('timeout', 3), args.timeoutMs);

  const attach = c => {
    c.on(`topic_${args.topic}_queue_changed`, () => {
      const queues = [];
      for (const { messageQueue } of c.processQueueTable.values()) {
        if (messageQueue.topic === args.topic) queues.push(Number(messageQueue.queueId));
      }
      emit({ event: 'allocated', queues: queues.sort((a, b) => a - b) });
    });

    const selector = args.sql ? { expressionType: 'SQL92', subString: args.sql } : args.sub;
    c.subscribe(args.topic, selector, async msg => {
      const origin = msg.originMessageId || msg.msgId;
      const seen = (attempts.get(origin) || 0) + 1;
      attempts.set(origin, seen);
      const retry = seen <= args.failTimes;
      emit({
        event: 'msg', msgId: msg.msgId, originMsgId: msg.originMessageId || null, topic: msg.topic,
        tags: msg.tags || null, keys: msg.keys || null, body: msg.body ? msg.body.toString() : '',
        properties: msg.properties, queueId: msg.queueId, queueOffset: Number(msg.queueOffset),
        reconsumeTimes: msg.reconsumeTimes, bornTimestamp: Number(msg.bornTimestamp),
        storeTimestamp: Number(msg.storeTimestamp), receivedAt: Date.now(), attempt: seen, retry,
      });
      if (retry) return Consumer.ACTION_RETRY;
      received++;
      if (args.count > 0 && received === args.count) {
        setTimeout(() => close('closed', 0), args.lingerMs);
      }
    });
  };
  // ali-ons's first rebalance can run before its first heartbeat reached the broker (its route
  // refresh and heartbeat fan-out swallow errors); ready() then rejects with the broker's
  // "no consumer for this group". An application restarts the consumer; so does this script.
  for (let attempt = 1; ; attempt++) {
    attach(consumer);
    try {
      await consumer.ready();
      break;
    } catch (err) {
      if (attempt >= 3 || !/no consumer for this group/.test(String(err && err.message))) throw err;
      emit({ event: 'restart', attempt, reason: String(err.message).split('\n')[0] });
      await consumer.close().catch(() => {});
      consumer = newConsumer();
    }
  }
  emit({ event: 'started' });
}

main().catch(err => fail(err.stack || String(err), { code: err.code }));

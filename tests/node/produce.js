'use strict';
// Sends --count messages synchronously with ali-ons and prints each send result.
// Usage: WASMQ_NAMESRV=host:port node produce.js --topic T --count N [--tags A,B,C] [--prefix p]
//          [--group G] [--delay-level L] [--bodies FILE] [--keep-going] [--interval-ms 0]
// --bodies FILE: a JSON array of strings; message i's body is bodies[i % length] instead.
// --interval-ms M: waits M ms between sends (a steady stream for tests that change things mid-run).
// --keep-going: a failed send prints {"event":"send_error","i":..,"tag":..,"body":..,"code":..,
// "message":..} and the run continues (default: the first failure ends it with an error event).
// Message i: tag = tags[i % tags.length], key = "<prefix>-key-<i>", body = "<prefix>-body-<i>",
// user properties e2e_index=<i>, e2e_prefix=<prefix>.
// Prints {"event":"sent","i":..,"msgId":..,"queueId":..,"queueOffset":..,"status":..,"topic":..,
// "tag":..,"key":..,"body":..,"props":{..},"sentAt":ms} per message, then {"event":"done","count":N}.

const { Producer, Message } = require('ali-ons');
const { parseArgs, emit, fail, makeLogger, clientOptions } = require('./common');

async function main() {
  const args = parseArgs({ topic: '', count: 1, tags: 'TagA', prefix: 'm', group: 'e2e_producer', delayLevel: 0,
    bodies: '', keepGoing: false, intervalMs: 0 });
  if (!args.topic) fail('--topic is required');
  const tags = args.tags.split(',');
  const bodies = args.bodies ? JSON.parse(require('fs').readFileSync(args.bodies, 'utf8')) : null;
  if (bodies && (!Array.isArray(bodies) || bodies.length === 0)) fail('--bodies: expected a non-empty JSON array');
  const producer = new Producer(clientOptions(makeLogger(), { producerGroup: args.group }));
  producer.on('error', err => process.stderr.write(`producer error: ${err.stack || err}\n`));
  await producer.ready();
  emit({ event: 'started' });
  for (let i = 0; i < args.count; i++) {
    if (args.intervalMs > 0 && i > 0) await new Promise(resolve => setTimeout(resolve, args.intervalMs));
    const tag = tags[i % tags.length];
    const key = `${args.prefix}-key-${i}`;
    const body = bodies ? String(bodies[i % bodies.length]) : `${args.prefix}-body-${i}`;
    const props = { e2e_index: String(i), e2e_prefix: args.prefix };
    const msg = new Message(args.topic, tag, body);
    msg.keys = [ key ];
    Object.assign(msg.properties, props);
    if (args.delayLevel > 0) msg.delayTimeLevel = args.delayLevel;
    const sentAt = Date.now();
    let result;
    try {
      result = await producer.send(msg);
    } catch (err) {
      if (args.keepGoing) {
        emit({ event: 'send_error', i, tag, key, body, code: err.code, name: err.name, message: err.message });
        continue;
      }
      fail(`send ${i} failed: ${err.message}`, { i, code: err.code, name: err.name });
    }
    emit({
      event: 'sent', i, msgId: result.msgId, queueId: Number(result.messageQueue.queueId),
      queueOffset: result.queueOffset, status: result.sendStatus, brokerName: result.messageQueue.brokerName,
      topic: args.topic, tag, key, body, props, sentAt,
    });
  }
  emit({ event: 'done', count: args.count });
  await producer.close();
  process.exit(0);
}

main().catch(err => fail(err.stack || String(err), { code: err.code }));

'use strict';
// Shared plumbing for the wasmq e2e scripts: argument parsing, JSON-lines output, ali-ons options.
//
// Every script prints one JSON object per line on stdout (`{"event": ...}`); logs go to stderr.
// The nameserver address comes from WASMQ_NAMESRV ("host:port", ";"-separated for several).

/** Parses `--key value` / `--flag` arguments over `defaults` (numbers stay numbers). */
function parseArgs(defaults) {
  const out = Object.assign({}, defaults);
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) fail(`unexpected argument ${a}`);
    const key = a.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) fail(`unknown option ${a}`);
    if (typeof defaults[key] === 'boolean') {
      out[key] = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) fail(`option ${a} needs a value`);
    out[key] = typeof defaults[key] === 'number' ? Number(v) : v;
  }
  return out;
}

/** Writes one JSON line to stdout (synchronous for pipes on Linux). */
function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function fail(message, extra) {
  emit(Object.assign({ event: 'error', message }, extra || {}));
  process.exit(1);
}

function namesrvList() {
  const addr = process.env.WASMQ_NAMESRV;
  if (!addr) fail('WASMQ_NAMESRV is not set');
  return addr.split(';').filter(Boolean);
}

/**
 * ali-ons logger: everything to stderr (debug/info only with WASMQ_ONS_DEBUG=1); `onDebug` sees
 * every debug message so scripts can observe client-side behaviour (e.g. client tag filtering).
 */
function makeLogger(onDebug) {
  const verbose = process.env.WASMQ_ONS_DEBUG === '1';
  const util = require('util');
  const write = (level, args) => process.stderr.write(`[ali-ons ${level}] ${util.format(...args)}\n`);
  return {
    debug(...args) {
      if (onDebug) onDebug(args);
      if (verbose) write('debug', args);
    },
    info(...args) {
      if (verbose) write('info', args);
    },
    warn(...args) {
      write('warn', args);
    },
    error(...args) {
      write('error', args);
    },
  };
}

/**
 * Options every ali-ons client here uses. `nameSrv` bypasses the Aliyun HTTP address server, so
 * `httpclient` is never called (ali-ons still asserts that one is given). The access keys are
 * dummies: ali-ons then signs every request (AccessKey/Signature/OnsChannel extFields), which a
 * broker without ACL must ignore, as Apache RocketMQ does.
 */
function clientOptions(logger, extra) {
  return Object.assign({
    nameSrv: namesrvList(),
    httpclient: {
      async request(url) {
        throw new Error(`ali-ons tried to fetch ${url}; nameSrv should have been used`);
      },
    },
    accessKeyId: 'wasmq-e2e-access-key',
    accessKeySecret: 'wasmq-e2e-secret-key',
    logger,
  }, extra || {});
}

process.on('unhandledRejection', err => fail(`unhandled rejection: ${err && err.stack || err}`));

module.exports = { parseArgs, emit, fail, makeLogger, clientOptions };

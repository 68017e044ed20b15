'use strict';
// Drives the wasmq web console in Debian's headless chromium (playwright-core, no browser
// download) and prints what it saw as JSON lines on stdout; the Rust test (tests/tests/console.rs)
// makes the assertions. Screenshots go to --out.
//
// Usage: node console.js --url http://127.0.0.1:PORT/ --out DIR [--mode full|unreachable]
//   full:        --topic T --key K --msg-id ID --group G --send-topic T --send-body B --send-key K
//                [--toggle BINDING]: opens every page, searches by key and by id, sends a message
//                through the form, and switches BINDING off with its button on the plugins page.
//   unreachable: opens every page and reports the banner each one shows.
// Events: {"event":"page","page":...,...}, {"event":"search",...}, {"event":"sent",...},
// {"event":"screenshot","path":...}, {"event":"pageerror",...}, {"event":"done"}; a failure is
// {"event":"error","message":...} and exit code 1.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.WASMQ_CHROMIUM || '/usr/bin/chromium';
// Flags for a closed network: nothing may try to reach Google's services.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // /dev/shm is small in containers; chromium then writes its shared memory to /tmp instead.
  '--disable-dev-shm-usage'];
const WAIT_MS = 20000;

function parseArgs() {
  const out = { url: '', out: '', mode: 'full', topic: '', key: '', msgId: '', group: '', sendTopic: '', sendBody: '', sendKey: '', toggle: '' };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(k in out) || argv[i + 1] === undefined) fail(`bad argument ${argv[i]}`);
    out[k] = argv[i + 1];
  }
  if (!out.url || !out.out) fail('--url and --out are required');
  return out;
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function fail(message) {
  emit({ event: 'error', message });
  process.exit(1);
}

let shot = 0;
async function screenshot(page, out, name) {
  shot += 1;
  const file = path.join(out, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  emit({ event: 'screenshot', name, path: file });
}

/** Navigates the single page to `hash` and waits until the page has its data (or failed). */
async function open(page, hash) {
  await page.evaluate(h => {
    document.getElementById('view').dataset.state = 'stale';
    location.hash = h;
  }, hash);
  await page.waitForSelector('main#view[data-state="ready"], main#view[data-state="error"]', { timeout: WAIT_MS });
  return page.$eval('main#view', v => v.dataset.state);
}

async function bannerText(page) {
  return page.$eval('#banner', b => (b.hidden ? null : b.textContent));
}

/** Rows of `selector` as objects of their `data-*` attributes and cell texts. */
async function rows(page, selector) {
  return page.$$eval(selector, trs => trs.map(tr => {
    const cells = {};
    for (const td of tr.querySelectorAll('td[data-key]')) cells[td.dataset.key] = td.textContent.trim();
    return { data: Object.assign({}, tr.dataset), cells, text: tr.textContent.trim() };
  }));
}

const num = s => (s === undefined || s === '–' ? null : Number(String(s).replace(/,/g, '')));

async function full(page, a) {
  let state = await open(page, '#/cluster');
  emit({ event: 'page', page: 'cluster', state, banner: await bannerText(page),
    clusters: await page.$$eval('[data-test="cluster-name"]', els => els.map(e => e.textContent.trim())),
    brokers: (await rows(page, 'tr[data-test="broker-row"]')).map(r => ({ name: r.data.broker, addr: r.data.addr, putTotal: num(r.cells.msgPutTotalTodayNow) })) });
  await screenshot(page, a.out, 'cluster');

  state = await open(page, '#/topics');
  emit({ event: 'page', page: 'topics', state, banner: await bannerText(page),
    topics: (await rows(page, 'tr[data-test="topic-row"]')).map(r => r.data.topic) });
  await screenshot(page, a.out, 'topics');

  state = await open(page, `#/topic/${encodeURIComponent(a.topic)}`);
  emit({ event: 'page', page: 'topic', state, banner: await bannerText(page),
    title: await page.$eval('main#view h1', e => e.textContent.trim()),
    routes: (await rows(page, 'tr[data-test="route-row"]')).length,
    queues: (await rows(page, 'tr[data-test="queue-row"]')).map(r => ({ broker: r.data.broker, queueId: Number(r.data.queue), minOffset: num(r.cells.minOffset), maxOffset: num(r.cells.maxOffset) })) });
  await screenshot(page, a.out, 'topic');

  state = await open(page, '#/groups');
  emit({ event: 'page', page: 'groups', state, banner: await bannerText(page),
    groups: (await rows(page, 'tr[data-test="group-row"]')).map(r => ({ group: r.data.group, lag: num(r.cells.lag) })) });
  await screenshot(page, a.out, 'groups');

  state = await open(page, `#/group/${encodeURIComponent(a.group)}`);
  emit({ event: 'page', page: 'group', state, banner: await bannerText(page),
    lag: num(await page.$eval('[data-test="group-lag"]', e => e.textContent.trim()).catch(() => undefined)),
    queues: (await rows(page, 'tr[data-test="lag-row"]')).map(r => ({ topic: r.data.topic, broker: r.data.broker, queueId: Number(r.data.queue),
      brokerOffset: num(r.cells.brokerOffset), consumerOffset: num(r.cells.consumerOffset), lag: num(r.cells.lag) })),
    online: (await rows(page, 'tr[data-test="consumer-row"]')).length,
    noConsumers: await page.$('[data-test="no-consumers"]').then(e => e !== null) });
  await screenshot(page, a.out, 'group');

  // Message search by key, then by id, through the forms.
  await open(page, '#/messages');
  await page.fill('[data-test="key-topic"]', a.topic);
  await page.fill('[data-test="key-key"]', a.key);
  emit(Object.assign({ event: 'search', by: 'key' }, await search(page, '[data-test="key-search"]')));
  await screenshot(page, a.out, 'search-by-key');
  await page.fill('[data-test="id-id"]', a.msgId);
  await page.fill('[data-test="id-topic"]', a.topic);
  emit(Object.assign({ event: 'search', by: 'id' }, await search(page, '[data-test="id-search"]')));
  await screenshot(page, a.out, 'search-by-id');

  // Send a test message through the form.
  await open(page, `#/send?topic=${encodeURIComponent(a.sendTopic)}`);
  await page.fill('[data-test="send-tags"]', 'ConsoleTag');
  await page.fill('[data-test="send-keys"]', a.sendKey);
  await page.fill('[data-test="send-body"]', a.sendBody);
  await page.$eval('[data-test="send-result"]', e => { e.dataset.state = 'stale'; });
  await page.click('[data-test="send"]');
  await page.waitForSelector('[data-test="send-result"][data-state="ready"], [data-test="send-result"][data-state="error"]', { timeout: WAIT_MS });
  emit({ event: 'sent', state: await page.$eval('[data-test="send-result"]', e => e.dataset.state),
    text: await page.$eval('[data-test="send-result"]', e => e.textContent.trim()),
    msgId: await page.$eval('[data-test="sent-msgid"]', e => e.textContent.trim()).catch(() => null) });
  await screenshot(page, a.out, 'send');
  // Its "view it" link searches the new message by its client msgId (UNIQ_KEY) in its topic.
  await page.$eval('main#view', v => { v.dataset.state = 'stale'; });
  await page.click('[data-test="view-sent"]');
  await page.waitForSelector('[data-test="results"][data-state="ready"], [data-test="results"][data-state="error"]', { timeout: WAIT_MS });
  emit({ event: 'search', by: 'sent-link', state: await page.$eval('[data-test="results"]', e => e.dataset.state),
    shownMsgId: await page.$eval('[data-test="message"]', e => e.dataset.msgid).catch(() => null),
    body: await page.$eval('[data-test="body"]', e => e.textContent).catch(() => null) });

  state = await open(page, '#/plugins');
  const pluginRows = async () => (await rows(page, 'tr[data-test="plugin-row"]'))
    .map(r => ({ binding: r.data.plugin, enabled: r.cells.enabled, hook: r.cells.hook, calls: num(r.cells.calls) }));
  emit({ event: 'page', page: 'plugins', state, banner: await bannerText(page),
    brokers: await page.$$eval('main#view h2', els => els.map(e => e.textContent.trim())),
    rows: await pluginRows(), text: await page.$eval('main#view', e => e.textContent.trim()) });
  await screenshot(page, a.out, 'plugins');
  if (a.toggle) {
    // Switch the binding off with its button; the page reloads the list from the broker.
    await page.$eval('main#view', v => { v.dataset.state = 'stale'; });
    await page.click(`tr[data-plugin="${a.toggle}"] [data-test="toggle"]`);
    await page.waitForSelector('main#view[data-state="ready"], main#view[data-state="error"]', { timeout: WAIT_MS });
    emit({ event: 'toggled', binding: a.toggle, banner: await bannerText(page), rows: await pluginRows() });
    await screenshot(page, a.out, 'plugins-toggled');
  }

  state = await open(page, '#/throughput');
  // The chart redraws every 2 s; wait for a drawn line (two samples of the broker's counters).
  // 'attached', not Playwright's default 'visible': a quiet broker's line is flat at 0, a path
  // with an empty bounding box, which Playwright counts as invisible although it is drawn.
  const drawn = await page.waitForSelector('svg[data-test="chart-svg"] path[data-series]', { state: 'attached', timeout: WAIT_MS }).then(() => true, () => false);
  emit({ event: 'page', page: 'throughput', state, banner: await bannerText(page), drawn,
    series: await page.$$eval('svg[data-test="chart-svg"] path[data-series]', ps => ps.map(p => p.dataset.series)) });
  await screenshot(page, a.out, 'throughput');
}

/** Clicks a search button and reports the result rows and the body shown. */
async function search(page, button) {
  await page.$eval('[data-test="results"]', e => { e.dataset.state = 'stale'; });
  await page.click(button);
  await page.waitForSelector('[data-test="results"][data-state="ready"], [data-test="results"][data-state="error"]', { timeout: WAIT_MS });
  return {
    state: await page.$eval('[data-test="results"]', e => e.dataset.state),
    text: await page.$eval('[data-test="results"]', e => e.textContent.trim()),
    rows: (await rows(page, 'tr[data-test="message-row"]')).map(r => r.data.msgid),
    shownMsgId: await page.$eval('[data-test="message"]', e => e.dataset.msgid).catch(() => null),
    body: await page.$eval('[data-test="body"]', e => e.textContent).catch(() => null),
  };
}

async function unreachable(page, a) {
  for (const name of ['cluster', 'topics', 'groups', 'messages', 'send', 'plugins', 'throughput']) {
    const state = await open(page, `#/${name}`);
    // The banner comes from /api/health, asked beside the page's own request.
    await page.waitForSelector('#banner:not([hidden])', { timeout: WAIT_MS }).catch(() => {});
    emit({ event: 'page', page: name, state, banner: await bannerText(page),
      text: await page.$eval('main#view', e => e.textContent.trim()) });
    await screenshot(page, a.out, `unreachable-${name}`);
  }
}

async function main() {
  const a = parseArgs();
  fs.mkdirSync(a.out, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmq-console-chromium-'));
  // A fresh profile per run (launchPersistentContext is playwright's way to name its directory).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 },
  });
  try {
    const page = await browser.newPage();
    page.on('pageerror', e => emit({ event: 'pageerror', message: e.message }));
    page.on('console', m => { if (m.type() === 'error') emit({ event: 'console', type: m.type(), text: m.text() }); });
    await page.goto(a.url, { waitUntil: 'load' });
    emit({ event: 'loaded', title: await page.title() });
    if (a.mode === 'unreachable') await unreachable(page, a);
    else await full(page, a);
    emit({ event: 'done' });
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(e => fail(e.stack || String(e)));

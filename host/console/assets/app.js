'use strict';
// wasmq console: a single page over the console's JSON API (/api/...). Plain JavaScript, no build
// step, no network beyond this server. Each page is a function that fetches what it shows and
// builds the DOM with `h()` (text is always set as text, never parsed as HTML).
//
// Every navigation also asks /api/health: when the nameserver cannot be reached the banner at the
// top says so in the server's words ("cannot reach the nameserver at ...: connection refused").
// `main#view[data-state]` is "loading", then "ready" or "error", so tests can wait for a page.

/** Builds an element: h('td', {class: 'num'}, 'text', childNode, ...). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A failed API call: `kind` is the server's classification ("unreachable", "notFound", ...). */
class ApiError extends Error {
  constructor(message, kind) {
    super(message);
    this.kind = kind;
  }
}

/** GET (or POST with a JSON body) on the console's API; throws ApiError with the server's words. */
async function api(path, body) {
  let resp;
  try {
    resp = await fetch(path, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(`cannot reach the wasmq console server (${e.message}); is 'wasmq console' still running?`, 'console');
  }
  let json;
  try {
    json = await resp.json();
  } catch (e) {
    throw new ApiError(`the console server answered ${resp.status} without JSON`, 'console');
  }
  if (!resp.ok) throw new ApiError(json.error || `HTTP ${resp.status}`, json.kind || 'error');
  return json;
}

const fmt = {
  num(v) {
    if (v === null || v === undefined || v === '') return '–';
    const n = Number(v);
    return Number.isFinite(n) ? n.toLocaleString('en-US') : String(v);
  },
  time(ms) {
    const n = Number(ms);
    if (!Number.isFinite(n) || n <= 0) return '–';
    return new Date(n).toISOString().replace('T', ' ').replace('Z', ' UTC');
  },
  rate(v) {
    if (!Number.isFinite(v)) return '–';
    return v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2);
  },
};

function banner(text) {
  const b = document.getElementById('banner');
  if (text) {
    b.textContent = text;
    b.hidden = false;
  } else {
    b.textContent = '';
    b.hidden = true;
  }
}

/** Replaces the page's content; `state` tells tests whether the page has its data. */
function show(state, ...nodes) {
  const view = document.getElementById('view');
  view.replaceChildren(...nodes.flat().filter(n => n !== null && n !== undefined && n !== false));
  view.dataset.state = state;
}

/** An error inside a page (the banner carries "cannot reach" errors). */
function errorBox(e) {
  return h('p', { class: 'error', 'data-test': 'error' }, e.message);
}

function table(headers, rows, attrs) {
  return h('table', attrs || {},
    h('thead', {}, h('tr', {}, headers.map(([label, cls]) => h('th', { class: cls }, label)))),
    h('tbody', {}, rows));
}

function link(hash, text, attrs) {
  return h('a', Object.assign({ href: hash }, attrs || {}), text);
}

// ---------------------------------------------------------------------------------------------
// Pages

const RUNTIME_COLUMNS = [
  ['brokerVersionDesc', 'Version'],
  ['runtime', 'Up'],
  ['msgPutTotalTodayNow', 'Messages put'],
  ['commitLogDiskBytes', 'Commit log bytes'],
  ['commitLogDiskRatio', 'Disk ratio'],
  ['pullHeldCount', 'Held pulls'],
  ['consumerGroupCount', 'Consumer groups'],
  ['producerGroupCount', 'Producer groups'],
];

async function pageCluster() {
  const data = await api('/api/cluster');
  const nodes = [h('h1', {}, 'Cluster')];
  if (data.clusters.length === 0) nodes.push(h('p', { class: 'muted' }, 'The nameserver knows no broker yet.'));
  for (const c of data.clusters) {
    nodes.push(h('h2', { 'data-test': 'cluster-name' }, c.name));
    const rows = c.brokers.map(b => h('tr', { 'data-test': 'broker-row', 'data-broker': b.name, 'data-addr': b.addr },
      h('td', {}, b.name), h('td', { class: 'num' }, b.id), h('td', {}, h('code', {}, b.addr)),
      b.runtime
        ? RUNTIME_COLUMNS.map(([k]) => h('td', { class: 'num', 'data-key': k }, k.endsWith('Ratio') ? ratio(b.runtime[k]) : fmt.num(b.runtime[k])))
        : h('td', { class: 'error wrap', colspan: RUNTIME_COLUMNS.length }, b.error || 'no runtime figures')));
    nodes.push(table([['Broker'], ['ID', 'num'], ['Address'], ...RUNTIME_COLUMNS.map(([, l]) => [l, 'num'])], rows, { 'data-test': 'brokers' }));
    for (const b of c.brokers.filter(b => b.runtime)) {
      nodes.push(h('details', { class: 'card' }, h('summary', {}, `All runtime figures of ${b.name} (${b.addr})`),
        h('table', { class: 'kv' }, Object.entries(b.runtime).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, v))))));
    }
  }
  show('ready', nodes);
}

function ratio(v) {
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? `${(n * 100).toFixed(1)} %` : '–';
}

async function pageTopics() {
  const data = await api('/api/topics');
  const filter = h('input', { type: 'search', placeholder: 'filter topics', 'data-test': 'topic-filter' });
  const showSystem = h('input', { type: 'checkbox', style: 'min-width:0' });
  const body = h('tbody');
  const render = () => {
    const f = filter.value.trim().toLowerCase();
    body.replaceChildren(...data.topics
      .filter(t => showSystem.checked || t.kind === 'normal')
      .filter(t => !f || t.name.toLowerCase().includes(f))
      .map(t => h('tr', { 'data-test': 'topic-row', 'data-topic': t.name },
        h('td', {}, link(`#/topic/${encodeURIComponent(t.name)}`, t.name)),
        h('td', {}, h('span', { class: t.kind === 'normal' ? 'pill' : 'pill off' }, t.kind)))));
  };
  filter.addEventListener('input', render);
  showSystem.addEventListener('change', render);
  render();
  show('ready', h('h1', {}, `Topics (${data.topics.length})`),
    h('form', { onsubmit: e => e.preventDefault() }, filter,
      h('label', { style: 'flex-direction:row;align-items:center' }, showSystem, 'show retry, DLQ and system topics')),
    h('br'),
    h('table', { 'data-test': 'topics' }, h('thead', {}, h('tr', {}, h('th', {}, 'Topic'), h('th', {}, 'Kind'))), body));
}

async function pageTopic(topic) {
  const data = await api(`/api/topic?topic=${encodeURIComponent(topic)}`);
  const routeRows = data.route.queues.map(q => h('tr', { 'data-test': 'route-row' },
    h('td', {}, q.broker), h('td', {}, h('code', {}, q.addr || '–')), h('td', { class: 'num' }, q.readQueueNums),
    h('td', { class: 'num' }, q.writeQueueNums), h('td', {}, permText(q.perm))));
  const statusRows = data.status.map(s => h('tr', { 'data-test': 'queue-row', 'data-queue': s.queueId, 'data-broker': s.broker },
    h('td', {}, s.broker), h('td', { class: 'num' }, s.queueId), h('td', { class: 'num', 'data-key': 'minOffset' }, fmt.num(s.minOffset)),
    h('td', { class: 'num', 'data-key': 'maxOffset' }, fmt.num(s.maxOffset)), h('td', { class: 'num' }, fmt.num(s.maxOffset - s.minOffset)),
    h('td', {}, fmt.time(s.lastUpdateTimestamp))));
  const total = data.status.reduce((a, s) => a + (s.maxOffset - s.minOffset), 0);
  show('ready', h('h1', { 'data-test': 'topic-name' }, `Topic ${data.topic}`),
    h('p', {}, link('#/topics', '← all topics'), '  ·  ',
      link(`#/messages?topic=${encodeURIComponent(data.topic)}`, 'search its messages'), '  ·  ',
      link(`#/send?topic=${encodeURIComponent(data.topic)}`, 'send a test message')),
    h('h2', {}, 'Route'),
    table([['Broker'], ['Master address'], ['Read queues', 'num'], ['Write queues', 'num'], ['Permission']], routeRows, { 'data-test': 'route' }),
    h('h2', {}, `Status: ${data.status.length} queues, ${fmt.num(total)} messages in reach`),
    table([['Broker'], ['Queue', 'num'], ['Min offset', 'num'], ['Max offset', 'num'], ['Messages', 'num'], ['Last stored']], statusRows, { 'data-test': 'status' }));
}

function permText(p) {
  const r = (p & 4) ? 'read' : '';
  const w = (p & 2) ? 'write' : '';
  return [r, w].filter(Boolean).join(' + ') || `none (${p})`;
}

async function pageGroups() {
  const data = await api('/api/groups');
  const rows = data.groups.map(g => h('tr', { 'data-test': 'group-row', 'data-group': g.group },
    h('td', {}, link(`#/group/${encodeURIComponent(g.group)}`, g.group)),
    h('td', { class: 'wrap' }, (g.topics || []).join(', ') || '–'),
    h('td', { class: g.lag > 0 ? 'num lag-pos' : 'num', 'data-key': 'lag' }, g.error ? '' : fmt.num(g.lag)),
    h('td', { class: 'error wrap' }, g.error || '')));
  show('ready', h('h1', {}, `Consumer groups (${data.groups.length})`),
    data.groups.length ? table([['Group'], ['Topics'], ['Lag', 'num'], ['']], rows, { 'data-test': 'groups' })
      : h('p', { class: 'muted' }, 'No consumer group has committed an offset yet.'));
}

async function pageGroup(group) {
  const data = await api(`/api/group?group=${encodeURIComponent(group)}`);
  const rows = data.queues.map(q => h('tr', { 'data-test': 'lag-row', 'data-topic': q.topic, 'data-broker': q.broker, 'data-queue': q.queueId },
    h('td', {}, q.topic), h('td', {}, q.broker), h('td', { class: 'num' }, q.queueId),
    h('td', { class: 'num', 'data-key': 'brokerOffset' }, fmt.num(q.brokerOffset)),
    h('td', { class: 'num', 'data-key': 'consumerOffset' }, fmt.num(q.consumerOffset)),
    h('td', { class: q.lag > 0 ? 'num lag-pos' : 'num', 'data-key': 'lag' }, fmt.num(q.lag)),
    h('td', {}, fmt.time(q.lastTimestamp))));
  show('ready', h('h1', { 'data-test': 'group-name' }, `Consumer group ${data.group}`),
    h('p', {}, link('#/groups', '← all groups')),
    h('div', { class: 'grid' },
      h('div', { class: 'stat' }, h('div', { class: 'v', 'data-test': 'group-lag' }, fmt.num(data.lag)), h('div', { class: 'k' }, 'total lag (messages)')),
      h('div', { class: 'stat' }, h('div', { class: 'v' }, fmt.num(data.queues.length)), h('div', { class: 'k' }, 'queues'))),
    h('h2', {}, 'Lag per queue'),
    table([['Topic'], ['Broker'], ['Queue', 'num'], ['Broker offset', 'num'], ['Consumer offset', 'num'], ['Lag', 'num'], ['Last consumed message stored']], rows, { 'data-test': 'lag' }),
    h('h2', {}, `Online consumers (${data.consumers.length})${data.messageModel ? `, ${data.messageModel}` : ''}`),
    data.consumersError ? h('p', { class: 'error' }, data.consumersError)
      : data.consumers.length === 0 ? h('p', { class: 'muted', 'data-test': 'no-consumers' }, 'No consumer of this group is connected now.')
        : [table([['Client id'], ['Address'], ['Language'], ['Version', 'num']], data.consumers.map(c => h('tr', { 'data-test': 'consumer-row' },
          h('td', {}, c.clientId), h('td', {}, h('code', {}, c.clientAddr)), h('td', {}, c.language), h('td', { class: 'num' }, c.version)))),
        h('h2', {}, 'Subscriptions'),
        table([['Topic'], ['Expression'], ['Type']], data.subscriptions.map(x => h('tr', {}, h('td', {}, x.topic), h('td', {}, h('code', {}, x.expression)), h('td', {}, x.expressionType))))]);
}

async function pageMessages(params) {
  const results = h('div', { 'data-test': 'results' });
  const detail = h('div', { 'data-test': 'detail' });
  const topic = h('input', { name: 'topic', placeholder: 'topic', required: true, 'data-test': 'key-topic', value: params.get('topic') || '' });
  const key = h('input', { name: 'key', placeholder: 'message key', required: true, 'data-test': 'key-key', value: params.get('key') || '' });
  const msgId = h('input', { name: 'msgId', placeholder: 'message id (offset msgId or client msgId)', required: true, 'data-test': 'id-id', style: 'min-width:360px', value: params.get('id') || '' });
  const idTopic = h('input', { name: 'topic', placeholder: 'topic (for a client msgId)', 'data-test': 'id-topic', value: params.get('topic') || '' });
  const run = async (what, url) => {
    results.replaceChildren(h('p', { class: 'muted' }, `Searching ${what}…`));
    results.dataset.state = 'loading';
    detail.replaceChildren();
    try {
      const data = await api(url);
      renderResults(results, detail, what, data.messages);
    } catch (e) {
      results.replaceChildren(errorBox(e));
      results.dataset.state = 'error';
      if (e.kind === 'unreachable') banner(e.message);
    }
  };
  const byKey = h('form', { 'data-test': 'by-key', onsubmit: e => {
    e.preventDefault();
    run(`key ${key.value} in ${topic.value}`, `/api/messages/by-key?topic=${encodeURIComponent(topic.value.trim())}&key=${encodeURIComponent(key.value.trim())}`);
  } }, h('label', {}, 'Topic', topic), h('label', {}, 'Key', key), h('button', { type: 'submit', 'data-test': 'key-search' }, 'Search by key'));
  const byId = h('form', { 'data-test': 'by-id', onsubmit: e => {
    e.preventDefault();
    const t = idTopic.value.trim();
    run(`id ${msgId.value}`, `/api/messages/by-id?id=${encodeURIComponent(msgId.value.trim())}${t ? `&topic=${encodeURIComponent(t)}` : ''}`);
  } }, h('label', {}, 'Message ID', msgId), h('label', {}, 'Topic (optional)', idTopic), h('button', { type: 'submit', 'data-test': 'id-search' }, 'Search by ID'));
  show('ready', h('h1', {}, 'Messages'),
    h('div', { class: 'card' }, h('h2', { style: 'margin-top:0' }, 'By key'), byKey),
    h('div', { class: 'card' }, h('h2', { style: 'margin-top:0' }, 'By message ID'), byId),
    results, detail);
  // A link such as #/messages?id=...&topic=... (from the send page) searches at once.
  if (msgId.value) byId.requestSubmit();
  else if (topic.value && key.value) byKey.requestSubmit();
}

function renderResults(results, detail, what, messages) {
  if (!messages.length) {
    results.replaceChildren(h('p', { class: 'muted', 'data-test': 'no-results' }, `No message found for ${what}.`));
    results.dataset.state = 'ready';
    return;
  }
  const rows = messages.map((m, i) => h('tr', { 'data-test': 'message-row', 'data-msgid': m.msgId },
    h('td', {}, h('code', {}, m.msgId)), h('td', {}, m.topic), h('td', {}, m.tags || '–'), h('td', {}, keysText(m.keys)),
    h('td', { class: 'num' }, m.queueId), h('td', { class: 'num' }, m.queueOffset), h('td', {}, fmt.time(m.storeTimestamp)),
    h('td', {}, h('button', { class: 'secondary', 'data-test': 'view-body', onclick: () => showMessage(detail, messages[i]) }, 'View'))));
  results.replaceChildren(h('h2', {}, `${messages.length} message(s) for ${what}`),
    table([['Message ID'], ['Topic'], ['Tags'], ['Keys'], ['Queue', 'num'], ['Offset', 'num'], ['Stored'], ['']], rows, { 'data-test': 'messages' }));
  results.dataset.state = 'ready';
  showMessage(detail, messages[0]);
}

function keysText(k) {
  if (Array.isArray(k)) return k.join(' ') || '–';
  return k || '–';
}

function showMessage(detail, m) {
  const props = Object.entries(m.properties || {});
  detail.replaceChildren(h('div', { class: 'card', 'data-test': 'message', 'data-msgid': m.msgId },
    h('h2', { style: 'margin-top:0' }, 'Message ', h('code', {}, m.msgId)),
    h('table', { class: 'kv' },
      [['Topic', m.topic], ['Tags', m.tags], ['Keys', keysText(m.keys)], ['Broker', m.brokerName], ['Queue', `${m.queueId} @ offset ${m.queueOffset}`],
        ['Born', `${fmt.time(m.bornTimestamp)} from ${m.bornHost || '?'}`], ['Stored', `${fmt.time(m.storeTimestamp)} on ${m.storeHost || '?'}`],
        ['Body size', `${m.bodySize ?? (m.body || '').length} bytes`]]
        .map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, v ?? '–')))),
    h('h2', {}, m.bodyEncoding === 'base64' ? 'Body (binary, shown as base64)' : 'Body'),
    h('pre', { class: 'body', 'data-test': 'body' }, m.body ?? ''),
    props.length ? [h('h2', {}, 'Properties'), h('table', { class: 'kv', 'data-test': 'properties' }, props.map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, v))))] : null));
}

async function pageSend(params) {
  const out = h('div', { 'data-test': 'send-result' });
  const topic = h('input', { name: 'topic', required: true, 'data-test': 'send-topic', value: params.get('topic') || '' });
  const tags = h('input', { name: 'tags', 'data-test': 'send-tags', placeholder: 'TagA' });
  const keys = h('input', { name: 'keys', 'data-test': 'send-keys', placeholder: 'key1 key2' });
  const body = h('textarea', { name: 'body', required: true, 'data-test': 'send-body' });
  const button = h('button', { type: 'submit', 'data-test': 'send' }, 'Send');
  const form = h('form', { onsubmit: async e => {
    e.preventDefault();
    button.disabled = true;
    out.dataset.state = 'loading';
    out.replaceChildren(h('p', { class: 'muted' }, 'Sending…'));
    try {
      const r = await api('/api/send', { topic: topic.value.trim(), tags: tags.value.trim(), keys: keys.value.trim(), body: body.value });
      out.replaceChildren(h('div', { class: 'card' }, h('p', { class: 'ok', 'data-test': 'sent-status' }, `SEND_OK: stored on ${r.brokerName} queue ${r.queueId} at offset ${r.queueOffset}`),
        h('p', {}, 'Message ID ', h('code', { 'data-test': 'sent-msgid' }, r.msgId), '  ',
          link(`#/messages?id=${encodeURIComponent(r.msgId)}&topic=${encodeURIComponent(topic.value.trim())}`, 'view it', { 'data-test': 'view-sent' }))));
      out.dataset.state = 'ready';
    } catch (err) {
      out.replaceChildren(errorBox(err));
      out.dataset.state = 'error';
      if (err.kind === 'unreachable') banner(err.message);
    } finally {
      button.disabled = false;
    }
  } }, h('label', {}, 'Topic', topic), h('label', {}, 'Tags', tags), h('label', {}, 'Keys (space separated)', keys),
  h('label', {}, 'Body', body), button);
  show('ready', h('h1', {}, 'Send a test message'),
    h('p', { class: 'muted' }, 'Sent by the console as producer group wasmq_admin_producer, to a writable queue of the topic\'s route (round robin).'),
    h('div', { class: 'card' }, form), out);
}

async function pagePlugins() {
  const data = await api('/api/plugins');
  const nodes = [h('h1', {}, 'Plugins')];
  for (const b of data.brokers) {
    nodes.push(h('h2', {}, `${b.broker} (${b.addr})`));
    if (b.error) {
      nodes.push(h('p', { class: 'error' }, b.error));
      continue;
    }
    if (!b.plugins.length) {
      nodes.push(h('p', { class: 'muted', 'data-test': 'no-plugins' }, 'No plugin is bound on this broker.'));
      continue;
    }
    const flat = b.plugins.map(p => flatten(p));
    const cols = [...new Set(flat.flatMap(Object.keys))];
    const enabledKey = cols.find(c => c === 'enabled');
    const rows = flat.map((p, i) => h('tr', { 'data-test': 'plugin-row', 'data-plugin': p.binding ?? p.name ?? i },
      cols.map(c => h('td', { class: typeof p[c] === 'number' ? 'num' : '', 'data-key': c }, render(p[c]))),
      enabledKey && data.canToggle ? h('td', {}, h('button', { class: 'secondary', 'data-test': 'toggle', onclick: () => toggle(b.addr, p, !p.enabled) }, p.enabled ? 'Disable' : 'Enable')) : null));
    nodes.push(table([...cols.map(c => [c, typeof flat[0][c] === 'number' ? 'num' : '']), ...(enabledKey && data.canToggle ? [['']] : [])], rows, { 'data-test': 'plugins' }));
  }
  show('ready', nodes);
}

function flatten(obj, prefix, out) {
  out = out || {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

function render(v) {
  if (v === true) return 'yes';
  if (v === false) return 'no';
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'number') return fmt.num(v);
  return v ?? '–';
}

async function toggle(addr, plugin, enable) {
  try {
    await api('/api/plugins/toggle', { addr, name: plugin.binding ?? plugin.name, enable });
  } catch (e) {
    banner(e.message);
  }
  route();
}

// Throughput: the server samples every broker's runtime figures; the page redraws its chart from
// /api/throughput while it is shown.
let chartTimer = null;

async function pageThroughput() {
  const holder = h('div', { 'data-test': 'chart' });
  const legend = h('div', { class: 'legend' });
  show('loading', h('h1', {}, 'Throughput'),
    h('p', { class: 'muted' }, 'Messages per second put into and pulled out of each broker, sampled from GET_BROKER_RUNTIME_INFO by the console server.'),
    legend, holder);
  const draw = async () => {
    let data;
    try {
      data = await api('/api/throughput');
    } catch (e) {
      holder.replaceChildren(errorBox(e));
      document.getElementById('view').dataset.state = 'error';
      if (e.kind === 'unreachable') banner(e.message);
      return;
    }
    if (!document.body.contains(holder)) return;
    holder.replaceChildren(lineChart(data.series));
    const items = data.series.map((s, i) => h('span', {}, h('i', { style: `background:${COLORS[i % COLORS.length]}` }),
      `${s.broker} ${s.metric}/s (last ${fmt.rate(s.points.length ? s.points[s.points.length - 1][1] : NaN)})`));
    if (data.series.length && !data.series.some(s => s.metric === 'get')) {
      items.push(h('span', { class: 'muted' }, 'no get/s line: the brokers report no msgGetTotalTodayNow counter'));
    }
    legend.replaceChildren(...items);
    document.getElementById('view').dataset.state = 'ready';
  };
  await draw();
  chartTimer = setInterval(draw, 2000);
}

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2'];
const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** An SVG line chart of `series` ([{broker, metric, points: [[ms, value]]}]), drawn by hand. */
function lineChart(series) {
  const W = 900, H = 320, L = 56, R = 16, T = 14, B = 30;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', 'data-test': 'chart-svg' });
  const all = series.flatMap(x => x.points);
  if (!all.length) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'waiting for the first two samples…'));
    return svg;
  }
  const t0 = Math.min(...all.map(p => p[0])), t1 = Math.max(...all.map(p => p[0]), t0 + 1);
  const vmax = niceMax(Math.max(1, ...all.map(p => p[1])));
  const x = t => L + (t - t0) / (t1 - t0) * (W - L - R);
  const y = v => H - B - v / vmax * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = vmax * i / 4;
    svg.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e5e7eb' }));
    svg.append(s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmt.rate(v)));
  }
  const seen = new Set();
  for (let i = 0; i <= 4; i++) {
    const t = t0 + (t1 - t0) * i / 4;
    const label = new Date(t).toISOString().slice(11, 19);
    if (seen.has(label)) continue;
    seen.add(label);
    svg.append(s('text', { x: x(t), y: H - 10, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' }, label));
  }
  series.forEach((ser, i) => {
    if (!ser.points.length) return;
    const d = ser.points.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
    svg.append(s('path', { d, fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 2, 'data-series': `${ser.broker} ${ser.metric}` }));
  });
  return svg;
}

function niceMax(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// ---------------------------------------------------------------------------------------------
// Routing: #/page[/arg][?query]

const PAGES = {
  cluster: () => pageCluster(),
  topics: () => pageTopics(),
  topic: (arg) => pageTopic(arg),
  groups: () => pageGroups(),
  group: (arg) => pageGroup(arg),
  messages: (_, q) => pageMessages(q),
  send: (_, q) => pageSend(q),
  plugins: () => pagePlugins(),
  throughput: () => pageThroughput(),
};

let generation = 0;
// The navigation whose page itself put an "unreachable" error in the banner (health must not clear it).
let pageBanner = -1;

async function route() {
  const gen = ++generation;
  if (chartTimer) clearInterval(chartTimer);
  chartTimer = null;
  const hash = location.hash.replace(/^#\/?/, '') || 'cluster';
  const [path, query] = hash.split('?');
  const slash = path.indexOf('/');
  const name = slash < 0 ? path : path.slice(0, slash);
  const arg = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
  const page = PAGES[name] || PAGES.cluster;
  const navName = { topic: 'topics', group: 'groups' }[name] || name;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === navName);
  show('loading', h('p', { class: 'muted' }, 'Loading…'));
  const health = checkHealth(gen);
  try {
    await page(arg, new URLSearchParams(query || ''));
  } catch (e) {
    if (gen !== generation) return;
    if (e.kind === 'unreachable') {
      pageBanner = gen;
      banner(e.message);
    }
    show('error', h('h1', {}, name[0].toUpperCase() + name.slice(1)), errorBox(e));
  }
  await health;
}

/** Asks /api/health and sets or clears the banner. */
async function checkHealth(gen) {
  try {
    const hres = await api('/api/health');
    if (gen === generation && pageBanner !== gen) banner(null);
    document.getElementById('namesrv').textContent = hres.namesrv;
  } catch (e) {
    if (gen === generation) banner(e.message);
  }
}

window.addEventListener('hashchange', route);
fetch('/api/info').then(r => r.json()).then(i => { document.getElementById('namesrv').textContent = i.namesrv; }).catch(() => {});
route();

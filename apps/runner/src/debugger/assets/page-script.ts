/**
 * The debugger page's script (vanilla ES module, inlined in the page; allowed
 * by its hash in the CSP). Every piece of event data is attacker-controlled,
 * so it is only ever written with textContent, never parsed as HTML.
 * Kept free of backticks and dollar-brace so it can live in a template string.
 */
export const pageScript = String.raw`
const STATES = ['pending', 'inflight', 'retry', 'delivered', 'rejected', 'dropped', 'dead', 'failed'];
const base = location.pathname.replace(/\/+$/, '');

const $ = (id) => document.getElementById(id);
const rows = new Map();
let order = [];
let selected = null;
let detailTimer = null;

function el(tag, props, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'className') node.className = v;
    else if (k === 'open') node.open = Boolean(v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const child of children || []) if (child) node.append(child);
  return node;
}

function notice(text, kind) {
  const n = $('notice');
  n.textContent = text;
  n.dataset.kind = kind || 'info';
}

// Auth, all of it. Opening /debugger?token=... once gave this browser an HttpOnly,
// SameSite=Strict session cookie (the server checks it, and the Origin, on every
// admin route); same-origin fetch and EventSource carry it. The script never
// holds the token: it only takes it out of the address bar and history.
const params = new URLSearchParams(location.search);
if (params.has('token')) {
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', location.pathname + (rest ? '?' + rest : ''));
}
sessionStorage.removeItem('signal-admin-retried');

/** Every admin call of the page: a same-origin request with the session cookie; a body is sent as JSON (the only kind admin routes take). */
async function adminFetch(url, init) {
  const body = init && init.body !== undefined ? JSON.stringify(init.body) : undefined;
  const res = await fetch(url, {
    method: (init && init.method) || (body === undefined ? 'GET' : 'POST'),
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body,
  });
  if (res.status === 401) {
    notice('Not signed in (or the session expired): open this page again as /debugger?token=<admin token>.', 'error');
    throw new Error('unauthorized');
  }
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error || ('HTTP ' + res.status));
  return answer;
}

/** The live stream: EventSource sends the session cookie to its own origin. */
const streamUrl = () => base + '/stream';

const api = (path, init) => adminFetch(base + '/api' + path, init);

const keyOf = (row) => row.integration + '\u0000' + row.messageId;
const filters = () => ({ integration: $('filter-integration').value, state: $('filter-state').value });

function matches(row) {
  const f = filters();
  if (f.integration && row.integration !== f.integration) return false;
  if (f.state === 'failed') return row.state === 'rejected' || row.state === 'dead';
  return !f.state || row.state === f.state;
}

function resultText(result) {
  if (!result) return '';
  const why = result.reason || result.message || result.warning || '';
  return result.status + (result.code ? ' ' + result.code : '') + (why ? ': ' + why : '');
}

function time(ms) {
  if (typeof ms !== 'number') return '';
  const d = new Date(ms);
  // Today's events need only the time; older ones the date too.
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

function renderList() {
  const body = $('rows');
  body.replaceChildren();
  for (const key of order) {
    const row = rows.get(key);
    if (!row) continue;
    const name = row.eventName ? row.eventType + ' ' + row.eventName : row.eventType;
    body.append(el('tr', {
      'data-testid': 'row', 'data-message-id': row.messageId, 'data-integration': row.integration, 'data-state': row.state,
      'aria-selected': String(selected === row.messageId), tabindex: '0',
      onclick: () => select(row.messageId),
      onkeydown: (e) => { if (e.key === 'Enter') select(row.messageId); },
    }, [
      el('td', { text: time(row.updatedAt) }),
      el('td', { text: name, title: name }),
      el('td', { text: row.integration }),
      el('td', { text: row.state, className: 'state state-' + row.state }),
      el('td', { text: String(row.attempts) }),
      el('td', { text: row.messageId, title: row.messageId }),
    ]));
  }
  $('empty').hidden = order.length > 0;
}

async function loadList() {
  const f = filters();
  const q = new URLSearchParams({ limit: '200' });
  if (f.integration) q.set('integration', f.integration);
  if (f.state) q.set('state', f.state);
  try {
    const { deliveries } = await api('/deliveries?' + q);
    rows.clear();
    order = [];
    for (const row of deliveries) {
      rows.set(keyOf(row), row);
      order.push(keyOf(row));
    }
    renderList();
  } catch (error) {
    notice('Could not load deliveries: ' + error.message, 'error');
  }
}

function upsert(row) {
  const key = keyOf(row);
  if (!matches(row)) {
    if (rows.delete(key)) order = order.filter((k) => k !== key);
  } else {
    if (!rows.has(key)) order.unshift(key);
    rows.set(key, row);
    if (order.length > 500) for (const old of order.splice(500)) rows.delete(old);
  }
  renderList();
  if (selected === row.messageId) {
    clearTimeout(detailTimer);
    detailTimer = setTimeout(() => showDetail(selected), 200);
  }
}

function pretty(text) {
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function headerLines(headers) {
  return Object.entries(headers || {}).map(([k, v]) => k + ': ' + v).join('\n');
}

function block(title, testid, text, open) {
  return el('details', { open: open }, [el('summary', { text: title }), el('pre', { 'data-testid': testid, text: text })]);
}

function renderAttempt(a, i, integration) {
  const parts = [el('div', { text: 'Attempt ' + (i + 1) + ' at ' + time(a.at) + ': ' + resultText(a.result) + (a.exchange ? ' (' + Math.round(a.exchange.durationMs) + ' ms)' : '') })];
  if (a.payload !== undefined) parts.push(block('Mapped payload', 'payload', pretty(a.payload), true));
  if (a.exchange) {
    const r = a.exchange.request;
    parts.push(block('Request sent', 'request', r.method + ' ' + r.url + '\n' + headerLines(r.headers) + '\n\n' + pretty(r.body), true));
    if (a.exchange.response) {
      const s = a.exchange.response;
      parts.push(block('Vendor response', 'response', 'HTTP ' + s.status + '\n' + headerLines(s.headers) + '\n\n' + pretty(s.body), true));
    }
    if (a.exchange.error) parts.push(block('Network error', 'response', a.exchange.error, true));
  } else {
    parts.push(el('div', { className: 'empty', text: 'Nothing was sent for this attempt.' }));
  }
  return el('div', { className: 'attempt', 'data-testid': 'attempt', 'data-integration': integration }, parts);
}

function renderDelivery(d) {
  const replayable = d.state === 'dead' || d.state === 'rejected';
  const replay = replayable ? el('button', {
    type: 'button', 'data-testid': 'replay-one', text: 'Replay',
    onclick: () => replayEvents({ integration: d.integration, message_ids: [d.messageId], state: d.state }),
  }) : null;
  return el('section', { className: 'delivery', 'data-testid': 'delivery', 'data-integration': d.integration }, [
    el('h3', {}, [
      el('span', { text: d.integration }),
      el('span', { 'data-testid': 'final-state', className: 'state state-' + d.state, text: d.state }),
      el('span', { text: d.attempts + ' attempt' + (d.attempts === 1 ? '' : 's') }),
      replay,
    ]),
    d.lastResult ? el('div', { 'data-testid': 'last-result', text: 'Last result: ' + resultText(d.lastResult) }) : null,
    d.retryAt ? el('div', { text: 'Next try: ' + time(d.retryAt) }) : null,
    ...(d.history || []).map((a, i) => renderAttempt(a, i, d.integration)),
  ]);
}

async function showDetail(messageId) {
  const pane = $('detail');
  try {
    const detail = await api('/events/' + encodeURIComponent(messageId));
    if (selected !== messageId) return;
    const e = detail.event || {};
    pane.replaceChildren(
      el('h2', { text: 'Event ' + messageId }),
      el('div', { text: [e.type, e.event || e.name, 'user ' + (e.user_id || e.anonymous_id || '?'), 'source ' + detail.source].filter(Boolean).join(' \u00b7 ') }),
      block('Input event', 'input-event', JSON.stringify(e, null, 2), false),
      ...detail.deliveries.map(renderDelivery),
    );
  } catch (error) {
    pane.replaceChildren(el('div', { className: 'empty', text: 'Could not load ' + messageId + ': ' + error.message }));
  }
}

function select(messageId) {
  selected = messageId;
  renderList();
  void showDetail(messageId);
}

async function replayEvents(body) {
  try {
    const { replayed } = await api('/replay', { method: 'POST', body });
    notice('Replayed ' + replayed + ' deliver' + (replayed === 1 ? 'y' : 'ies') + '.', 'info');
    await loadList();
    if (selected) void showDetail(selected);
  } catch (error) {
    notice('Replay failed: ' + error.message, 'error');
  }
}

function connect() {
  const status = $('live-status');
  const source = new EventSource(streamUrl());
  source.onopen = () => {
    status.textContent = 'live';
    status.dataset.state = 'live';
    void loadList();
  };
  source.onerror = () => {
    const closed = source.readyState === EventSource.CLOSED;
    status.textContent = closed ? 'disconnected (reload the page)' : 'reconnecting\u2026';
    status.dataset.state = 'error';
  };
  source.addEventListener('delivery', (m) => upsert(JSON.parse(m.data)));
  source.addEventListener('resync', () => void loadList());
}

async function init() {
  const { integrations } = await api('/integrations');
  for (const id of integrations) $('filter-integration').append(el('option', { value: id, text: id }));
  for (const s of STATES) $('filter-state').append(el('option', { value: s, text: s }));
  $('filter-integration').addEventListener('change', () => void loadList());
  $('filter-state').addEventListener('change', () => void loadList());
  $('replay-dead').addEventListener('click', () => {
    const integration = filters().integration;
    void replayEvents(integration ? { integration, state: 'dead' } : { state: 'dead' });
  });
  connect();
}

init().catch((error) => notice('Could not start: ' + error.message, 'error'));
`;

/**
 * The debugger page's script (vanilla ES module, inlined in the page; allowed by its hash in the
 * CSP). Every piece of event data is attacker-controlled, so it is only ever written with
 * textContent, never parsed as HTML. Kept free of backticks and dollar-brace so it can live in a
 * template string.
 */
export const pageScript = String.raw`
const STATES = ['pending', 'inflight', 'retry', 'delivered', 'rejected', 'dropped', 'dead', 'failed'];
const FINAL = ['delivered', 'rejected', 'dropped', 'dead'];
const base = location.pathname.replace(/\/+$/, '');

// ---- auth: the one place that knows how this page proves it is the admin ----------------------
// Opening /debugger?token=... once gave this browser an HttpOnly, SameSite=Strict session cookie
// (the server checks it, and the Origin, on every admin route); same-origin requests carry it.
// The script never holds the token: it only takes it out of the address bar and history.
{
  const params = new URLSearchParams(location.search);
  if (params.has('token')) {
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : ''));
  }
}
/** fetch() to this debugger's own routes with the session cookie; a 401 says how to get in. */
async function adminFetch(path, init) {
  const res = await fetch(base + path, { ...(init || {}), credentials: 'same-origin' });
  if (res.status === 401) {
    notice('Not signed in (or the session expired): open this page again as /debugger?token=<admin token>.', 'error');
    throw new Error('unauthorized');
  }
  return res;
}
// -----------------------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);
const rows = new Map();
let order = [];
let selected = null;
let detailTimer = null;
let nextCursor = null;
let searchGeneration = 0;
let integrations = [];

function el(tag, props, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'className') node.className = v;
    else if (k === 'open') node.open = Boolean(v);
    else if (k === 'value') node.value = String(v);
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

async function api(path, init) {
  const res = await adminFetch('/api' + path, {
    ...(init || {}),
    headers: init && init.body ? { 'content-type': 'application/json' } : {},
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || ('HTTP ' + res.status));
  return body;
}

const pad = (n, w) => String(n).padStart(w || 2, '0');
/** Always with the date: a delivery log spans days. Local time; the title has ISO 8601 UTC. */
function when(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}
const iso = (ms) => (typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '');
const whenText = (value) => (typeof value === 'string' ? when(Date.parse(value)) || value : when(value));

function resultText(result) {
  if (!result) return '';
  const why = result.reason || result.message || result.warning || '';
  return result.status + (result.code ? ' ' + result.code : '') + (why ? ': ' + why : '');
}

function chip(d) {
  const title = d.integration + ': ' + d.state + ' (' + d.attempts + ' attempt' + (d.attempts === 1 ? '' : 's') + ')' + (d.lastResult ? ' \u2014 ' + resultText(d.lastResult) : '');
  return el('span', {
    className: 'chip state-' + d.state, 'data-testid': 'chip', 'data-integration': d.integration, 'data-state': d.state, title: title,
    text: d.integration + ' \u00b7 ' + d.state,
  });
}

const eventLabel = (e) => (e.eventName ? e.type + ' ' + e.eventName : e.type);
const userLabel = (e) => [e.userId, e.anonymousId ? 'anon ' + e.anonymousId : ''].filter(Boolean).join(' \u00b7 ');

// ---- the list: one row per event --------------------------------------------------------------
function filters() {
  return {
    message_id: $('search-message-id').value.trim(),
    user: $('search-user').value.trim(),
    event: $('search-event').value.trim(),
    integration: $('filter-integration').value,
    state: $('filter-state').value,
  };
}

/** Whether a live row belongs in the list under the current search (the server applies the same rules). */
function matches(e) {
  const f = filters();
  if (f.message_id && e.messageId !== f.message_id) return false;
  if (f.user && e.userId !== f.user && e.anonymousId !== f.user) return false;
  if (f.event && String(e.eventName || '').toLowerCase() !== f.event.toLowerCase()) return false;
  if (!f.integration && !f.state) return true;
  return e.deliveries.some((d) =>
    (!f.integration || d.integration === f.integration) &&
    (!f.state || d.state === f.state || (f.state === 'failed' && (d.state === 'rejected' || d.state === 'dead'))));
}

function renderList() {
  const body = $('rows');
  body.replaceChildren();
  for (const id of order) {
    const e = rows.get(id);
    if (!e) continue;
    const deliveries = [...e.deliveries].sort((a, b) => a.integration.localeCompare(b.integration));
    body.append(el('tr', {
      'data-testid': 'event-row', 'data-message-id': e.messageId,
      'aria-selected': String(selected === e.messageId), tabindex: '0',
      onclick: () => select(e.messageId),
      onkeydown: (ev) => { if (ev.key === 'Enter') select(e.messageId); },
    }, [
      el('td', { className: 'when', text: when(e.receivedAt), title: iso(e.receivedAt) }),
      el('td', { text: eventLabel(e) }),
      el('td', { text: userLabel(e) }),
      el('td', { text: e.source }),
      el('td', {}, [el('div', { className: 'chips' }, deliveries.length ? deliveries.map(chip) : [el('span', { className: 'hint', text: 'no integration' })])]),
      el('td', { className: 'id', text: e.messageId }),
    ]));
  }
  $('empty').hidden = order.length > 0;
}

function setMore(next, note, searching) {
  nextCursor = next || null;
  $('more').hidden = !nextCursor;
  $('more').textContent = searching ? 'Search older events' : 'Load older events';
  $('more-note').textContent = note || '';
}

function searchQuery(before) {
  const q = new URLSearchParams({ limit: '50' });
  for (const [k, v] of Object.entries(filters())) if (v) q.set(k, v);
  if (before) q.set('before', before);
  return q;
}

/** Loads the list anew (or, with more, the next older page). A search may need several pages: the server examines a bounded number of events per call. */
async function loadList(more) {
  const generation = ++searchGeneration;
  if (!more) {
    rows.clear();
    order = [];
  }
  let cursor = more ? nextCursor : null;
  let found = 0;
  try {
    for (let round = 0; round < 10; round++) {
      const page = await api('/events?' + searchQuery(cursor));
      if (generation !== searchGeneration) return;
      for (const e of page.events) {
        if (!rows.has(e.messageId)) order.push(e.messageId);
        rows.set(e.messageId, e);
        found++;
      }
      cursor = page.next || null;
      if (!cursor || found >= 50) break;
    }
    renderList();
    const searching = Object.values(filters()).some(Boolean);
    setMore(cursor, cursor ? 'Showing ' + order.length + ' event' + (order.length === 1 ? '' : 's') + '; older events ' + (searching ? 'not searched yet.' : 'not loaded yet.') : (searching ? order.length + ' matching event' + (order.length === 1 ? '' : 's') + '.' : ''), searching);
  } catch (error) {
    notice('Could not load events: ' + error.message, 'error');
  }
}

/** New events were stored: fetch the newest page of the current search (one request) and merge it in. */
let refreshing = false;
async function refreshNewest() {
  if (refreshing) return;
  refreshing = true;
  try {
    const page = await api('/events?' + searchQuery(null));
    for (const e of page.events) if (!rows.has(e.messageId)) upsert(e);
  } catch {
    // The next frame tries again.
  } finally {
    refreshing = false;
  }
}

function upsert(e) {
  const known = rows.has(e.messageId);
  if (!matches(e)) {
    if (known) {
      rows.delete(e.messageId);
      order = order.filter((id) => id !== e.messageId);
    }
  } else {
    rows.set(e.messageId, e);
    if (!known) {
      order.unshift(e.messageId);
      order.sort((a, b) => (rows.get(b).receivedAt - rows.get(a).receivedAt));
      if (order.length > 500) for (const old of order.splice(500)) rows.delete(old);
    }
  }
  renderList();
  if (selected === e.messageId) {
    clearTimeout(detailTimer);
    detailTimer = setTimeout(() => showDetail(selected), 200);
  }
}

// ---- rejected ingest requests -----------------------------------------------------------------
let rejectionCount = 0;
function addRejections(list, suppressed, prepend) {
  const body = $('rejection-rows');
  const made = list.map((r) => el('tr', { 'data-testid': 'rejection', 'data-status': r.status }, [
    el('td', { className: 'when', text: when(r.at), title: iso(r.at) }),
    el('td', { text: String(r.status) }),
    el('td', { className: 'mono', text: r.path }),
    el('td', { text: r.source || '(unknown key)' }),
    el('td', { text: r.reason }),
    el('td', { text: [r.ip, r.userAgent].filter(Boolean).join(' \u00b7 ') }),
  ]));
  if (prepend) body.prepend(...made);
  else body.append(...made);
  while (body.children.length > 200) body.lastElementChild.remove();
  rejectionCount += list.length + (suppressed || 0);
  const box = $('rejections');
  box.dataset.count = String(rejectionCount);
  $('rejections-title').textContent = rejectionCount === 0
    ? 'No rejected ingest requests since the runner started'
    : 'Rejected ingest requests: ' + rejectionCount + (suppressed ? ' (' + suppressed + ' more in a burst, not listed)' : '') + ' \u2014 the client was told why; nothing was stored';
}

async function loadRejections() {
  try {
    const { rejections } = await api('/rejections');
    $('rejection-rows').replaceChildren();
    rejectionCount = 0;
    addRejections(rejections, 0, false);
  } catch (error) {
    notice('Could not load rejected requests: ' + error.message, 'error');
  }
}

// ---- event detail -----------------------------------------------------------------------------
function pretty(text) {
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}
const headerLines = (headers) => Object.entries(headers || {}).map(([k, v]) => k + ': ' + v).join('\n');
const block = (title, testid, text, open) => el('details', { open: open }, [el('summary', { text: title }), el('pre', { 'data-testid': testid, text: text })]);

function exchangeBlocks(x) {
  const parts = [];
  const r = x.request;
  parts.push(block('Request sent', 'request', r.method + ' ' + r.url + '\n' + headerLines(r.headers) + '\n\n' + pretty(r.body), true));
  if (x.response) {
    const s = x.response;
    parts.push(block('Vendor response', 'response', 'HTTP ' + s.status + ' in ' + Math.round(x.durationMs) + ' ms\n' + headerLines(s.headers) + '\n\n' + pretty(s.body), true));
  }
  if (x.error) parts.push(block('Network error', 'response', x.error, true));
  return parts;
}

function renderAttempt(a, i, integration) {
  const parts = [el('div', { text: 'Attempt ' + (i + 1) + ' at ' + when(a.at) + ': ' + resultText(a.result) + (a.exchange ? ' (' + Math.round(a.exchange.durationMs) + ' ms)' : ''), title: iso(a.at) })];
  if (a.payload !== undefined) parts.push(block('Mapped payload', 'payload', pretty(a.payload), true));
  if (a.exchange) parts.push(...exchangeBlocks(a.exchange));
  else parts.push(el('div', { className: 'empty', text: 'Nothing was sent for this attempt.' }));
  return el('div', { className: 'attempt', 'data-testid': 'attempt', 'data-integration': integration }, parts);
}

/** Asks before anything is sent again; resolves true on "Re-send". */
function confirmResend(text) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    const done = (ok) => {
      $('confirm-ok').onclick = null;
      $('confirm-cancel').onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(ok);
    };
    $('confirm-ok').onclick = () => done(true);
    $('confirm-cancel').onclick = () => done(false);
    dialog.onclose = () => done(false);
    dialog.showModal();
  });
}

function resendWarning(d, messageId) {
  const to = 'Re-send event ' + messageId + ' to ' + d.integration + '? ';
  if (d.state === 'delivered') return to + 'It was already delivered: Signal will send it again and the vendor will receive it a second time (it may count it twice).';
  if (d.state === 'dropped') return to + 'It was dropped (' + resultText(d.lastResult) + '): Signal will map it again and send it if the mapping and consent now allow.';
  return to + 'It is ' + d.state + ' (' + resultText(d.lastResult) + '): Signal will send it again now, with a fresh set of attempts.';
}

function renderDelivery(d, messageId) {
  const final = FINAL.includes(d.state);
  const replay = el('button', {
    type: 'button', 'data-testid': 'replay-one', 'data-integration': d.integration,
    text: 'Re-send to ' + d.integration + '\u2026',
    disabled: !final,
    title: final ? 'Send this event to ' + d.integration + ' again' : 'Already queued: it will be sent' + (d.retryAt ? ' at ' + when(d.retryAt) : ''),
    onclick: async () => {
      if (!(await confirmResend(resendWarning(d, messageId)))) return;
      await replayEvents({ integration: d.integration, message_ids: [messageId], state: d.state, force: true });
    },
  });
  return el('section', { className: 'delivery', 'data-testid': 'delivery', 'data-integration': d.integration }, [
    el('h3', {}, [
      el('span', { text: d.integration }),
      el('span', { 'data-testid': 'final-state', className: 'state state-' + d.state, text: d.state }),
      el('span', { text: d.attempts + ' attempt' + (d.attempts === 1 ? '' : 's') }),
      el('span', { className: 'hint', text: 'updated ' + when(d.updatedAt), title: iso(d.updatedAt) }),
      replay,
    ]),
    d.lastResult ? el('div', { 'data-testid': 'last-result', text: 'Last result: ' + resultText(d.lastResult) }) : null,
    d.retryAt ? el('div', { text: 'Next try: ' + when(d.retryAt), title: iso(d.retryAt) }) : null,
    ...(d.history || []).map((a, i) => renderAttempt(a, i, d.integration)),
  ]);
}

async function showDetail(messageId) {
  const pane = $('detail');
  try {
    const detail = await api('/events/' + encodeURIComponent(messageId));
    if (selected !== messageId) return;
    const e = detail.event || {};
    const facts = [
      ['Type', e.type], ['Name', e.event || e.name], ['User id', e.user_id], ['Anonymous id', e.anonymous_id], ['Source', detail.source],
      ['Timestamp', e.timestamp ? whenText(e.timestamp) + '  (' + e.timestamp + ')' : ''], ['Received', e.received_at ? whenText(e.received_at) + '  (' + e.received_at + ')' : ''],
    ].filter(([, v]) => v);
    pane.replaceChildren(
      el('h2', { text: 'Event ' + messageId }),
      el('dl', { className: 'facts' }, facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })])),
      block('Input event', 'input-event', JSON.stringify(e, null, 2), false),
      ...detail.deliveries.map((d) => renderDelivery(d, messageId)),
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
    const { replayed } = await api('/replay', { method: 'POST', body: JSON.stringify(body) });
    notice('Replayed ' + replayed + ' deliver' + (replayed === 1 ? 'y' : 'ies') + (replayed > 0 ? ': sending again now.' : ' (nothing matched).'), 'info');
    await loadList(false);
    if (selected) void showDetail(selected);
  } catch (error) {
    notice('Replay failed: ' + error.message, 'error');
  }
}

// ---- integrations -----------------------------------------------------------------------------
const FAULTS = [
  ['normal', 'normally (its success answer)'],
  ['error', 'HTTP 500 \u2192 retries, then a dead letter'],
  ['rate-limit', 'HTTP 429 with Retry-After: 5 \u2192 retries, no sooner'],
  ['unauthorized', 'HTTP 401 \u2192 the integration pauses'],
  ['slow', 'slowly (3 s) \u2192 requests stay in flight'],
];
const cards = new Map();

function mapText(obj) {
  return Object.entries(obj || {}).map(([k, v]) => k + ' \u2190 ' + v).join('\n');
}

function eventMapTable(map) {
  const head = el('tr', {}, ['Event', 'Sent as', 'Fields (vendor \u2190 event path)', 'Renamed', 'Left out', 'From'].map((t) => el('th', { text: t })));
  const body = map.events.map((r) => el('tr', { 'data-testid': 'map-row', 'data-event': r.event, 'data-origin': r.origin }, [
    el('td', { text: r.event }),
    el('td', { className: r.to === 'drop' ? 'state-dropped' : '', text: r.to }),
    el('td', { className: 'mono', text: mapText(r.fields) }),
    el('td', { className: 'mono', text: Object.entries(r.rename || {}).map(([k, v]) => k + ' \u2192 ' + v).join('\n') }),
    el('td', { className: 'mono', text: (r.omit || []).join(', ') + (r.flatten ? (r.omit ? '; ' : '') + 'nested objects flattened' : '') }),
    el('td', { text: r.origin }),
  ]));
  const all = map.properties || {};
  const everyEvent = [
    (all.omit || []).length ? 'left out: ' + all.omit.join(', ') : '',
    Object.keys(all.rename || {}).length ? 'renamed: ' + Object.entries(all.rename).map(([k, v]) => k + ' → ' + v).join(', ') : '',
    all.flatten ? 'nested objects flattened' : '',
  ].filter(Boolean).join('; ');
  return el('div', {}, [
    everyEvent ? el('div', { 'data-testid': 'map-all-events', text: 'Every event\u2019s properties: ' + everyEvent + '.' }) : null,
    body.length ? el('table', { 'data-testid': 'event-map', className: 'event-map' }, [el('thead', {}, [head]), el('tbody', {}, body)]) : el('div', { text: 'No per-event rules.' }),
    el('div', { className: 'hint', text: 'Events not listed are ' + (map.unmapped === 'drop' ? 'dropped.' : 'sent under their own name.') }),
  ]);
}

function queueText(q) {
  const parts = Object.entries(q.byState || {}).map(([s, n]) => s + ' ' + n);
  return q.depth + ' waiting' + (q.depth > 0 && q.oldestAgeMs > 0 ? ' (oldest ' + Math.round(q.oldestAgeMs / 1000) + ' s)' : '') + (parts.length ? ' \u00b7 ' + parts.join(', ') : '');
}

async function sendTest(view, card) {
  const out = card.querySelector('[data-testid=send-test-result]');
  const event = card.querySelector('[data-testid=send-test-event]').value;
  out.replaceChildren(el('div', { className: 'hint', text: 'Sending ' + event + ' to ' + view.id + '\u2026' }));
  try {
    const report = await api('/integrations/' + encodeURIComponent(view.id) + '/send-test', { method: 'POST', body: JSON.stringify({ event: event }) });
    out.dataset.status = report.result.status;
    out.replaceChildren(
      el('div', {}, [el('span', { className: 'chip state-' + (report.passed ? 'delivered' : report.result.status === 'retry' ? 'retry' : 'error'), 'data-testid': 'send-test-status', text: resultText(report.result) })]),
      block('Mapped payload', 'payload', report.payload === undefined ? '(none: not sent)' : pretty(report.payload), true),
      ...report.exchanges.flatMap(exchangeBlocks),
    );
  } catch (error) {
    out.dataset.status = 'error';
    out.replaceChildren(el('div', { className: 'state-error', 'data-testid': 'send-test-status', text: 'Test send failed: ' + error.message }));
  }
}

function buildCard(view) {
  const testEvents = [...new Set([...view.eventMap.events.map((r) => r.event).filter((n) => n !== 'group'), 'Order Completed', 'page', 'identify'])];
  const faultSelect = view.fakeVendor ? el('select', {
    'data-testid': 'fault-select',
    onchange: async (ev) => {
      try {
        const r = await api('/dev/vendors/' + encodeURIComponent(view.fakeVendor.vendor) + '/fault', { method: 'POST', body: JSON.stringify({ mode: ev.target.value }) });
        notice('Fake ' + view.fakeVendor.vendor + ' now answers ' + (FAULTS.find(([m]) => m === r.fault.mode) || ['', r.fault.mode])[1] + '.', 'info');
      } catch (error) {
        notice('Could not change the fake vendor: ' + error.message, 'error');
      }
    },
  }, FAULTS.map(([mode, label]) => el('option', { value: mode, text: label }))) : null;
  const card = el('section', { className: 'integration', 'data-testid': 'integration', 'data-integration': view.id }, [
    el('h2', {}, [el('span', { text: view.id }), el('span', { 'data-testid': 'status', className: 'state' })]),
    el('dl', { className: 'facts' }, [
      el('dt', { text: 'Plugin' }), el('dd', { 'data-testid': 'plugin', text: view.plugin + ' (' + view.pluginName + ')' }),
      el('dt', { text: 'Version' }), el('dd', { 'data-testid': 'version', text: view.version }),
      el('dt', { text: 'Preset' }), el('dd', { 'data-testid': 'preset', text: view.preset + (view.presetDescription ? ' \u2014 ' + view.presetDescription : '') }),
      el('dt', { text: 'Consent' }), el('dd', { 'data-testid': 'consent', text: view.consent.length ? view.consent.join(', ') + ' (events without these categories are dropped)' : 'none required' }),
      el('dt', { text: 'Concurrency' }), el('dd', { 'data-testid': 'concurrency', text: view.concurrency + ' request' + (view.concurrency === 1 ? '' : 's') + ' at once' }),
      el('dt', { text: 'Queue' }), el('dd', { 'data-testid': 'queue' }),
    ]),
    el('div', { className: 'actions' }, [
      el('button', { type: 'button', 'data-testid': 'resume', text: 'Resume delivery', hidden: true,
        onclick: async () => {
          try {
            await api('/integrations/' + encodeURIComponent(view.id) + '/resume', { method: 'POST', body: '{}' });
            notice(view.id + ' resumed.', 'info');
            await loadIntegrations();
          } catch (error) {
            notice('Could not resume ' + view.id + ': ' + error.message, 'error');
          }
        } }),
      el('span', { 'data-testid': 'paused-reason', className: 'state-paused' }),
    ]),
    faultSelect ? el('div', { className: 'actions' }, [el('label', { text: 'Fake vendor (signal dev) answers ' }), faultSelect]) : null,
    el('div', { className: 'actions' }, [
      el('select', { 'data-testid': 'send-test-event' }, testEvents.map((n) => el('option', { value: n, text: n, selected: n === 'Order Completed' ? 'selected' : null }))),
      el('button', { type: 'button', 'data-testid': 'send-test', text: 'Send test event', onclick: () => void sendTest(view, card) }),
      el('span', { className: 'hint', text: 'Sends one sample event to the vendor now, as signal send-test does (not stored, not retried).' }),
    ]),
    el('div', { 'data-testid': 'send-test-result' }),
    el('details', { open: true }, [el('summary', { text: 'Event map (preset ' + view.preset + ' with your overrides)' }), eventMapTable(view.eventMap)]),
  ]);
  if (faultSelect) faultSelect.value = view.fakeVendor.fault.mode;
  return card;
}

function updateCard(card, view) {
  card.querySelector('[data-testid=queue]').textContent = queueText(view.queue);
  const status = card.querySelector('[data-testid=status]');
  status.textContent = view.paused ? 'paused' : 'delivering';
  status.className = 'state ' + (view.paused ? 'state-paused' : 'state-delivered');
  card.dataset.paused = String(Boolean(view.paused));
  card.querySelector('[data-testid=resume]').hidden = !view.paused;
  card.querySelector('[data-testid=paused-reason]').textContent = view.paused || '';
  const fault = card.querySelector('[data-testid=fault-select]');
  if (fault && document.activeElement !== fault && view.fakeVendor) fault.value = view.fakeVendor.fault.mode;
}

async function loadIntegrations() {
  const list = await api('/integrations');
  integrations = list.integrations;
  const box = $('integrations');
  for (const view of integrations) {
    let card = cards.get(view.id);
    if (!card) {
      card = buildCard(view);
      cards.set(view.id, card);
      box.append(card);
    }
    updateCard(card, view);
  }
  return integrations;
}

let integrationsTimer = null;
function showView(name) {
  for (const b of document.querySelectorAll('nav button')) b.setAttribute('aria-selected', String(b.dataset.view === name));
  $('view-events').hidden = name !== 'events';
  $('view-integrations').hidden = name !== 'integrations';
  clearInterval(integrationsTimer);
  if (name === 'integrations') {
    const refresh = () => loadIntegrations().catch((error) => notice('Could not load integrations: ' + error.message, 'error'));
    void refresh();
    // Queue depth and pauses change on their own: refresh while the view is open.
    integrationsTimer = setInterval(refresh, 2000);
  }
}

// ---- live stream (server-sent events, read with adminFetch so the credential stays in one place) ----
async function connect() {
  const status = $('live-status');
  for (;;) {
    try {
      const res = await adminFetch('/stream', { headers: { accept: 'text/event-stream' } });
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      status.textContent = 'live';
      status.dataset.state = 'live';
      void loadList(false);
      void loadRejections();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message';
          let data = '';
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (!data) continue;
          const payload = JSON.parse(data);
          if (type === 'event') upsert(payload);
          else if (type === 'rejections') addRejections(payload.rejections, payload.suppressed, true);
          else if (type === 'stored') void refreshNewest();
          else if (type === 'resync') void loadList(false);
        }
      }
    } catch (error) {
      if (error.message === 'unauthorized') {
        status.textContent = 'disconnected (unauthorized)';
        status.dataset.state = 'error';
        return;
      }
    }
    status.textContent = 'reconnecting\u2026';
    status.dataset.state = 'error';
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function init() {
  const list = await loadIntegrations();
  for (const v of list) $('filter-integration').append(el('option', { value: v.id, text: v.id }));
  for (const s of STATES) $('filter-state').append(el('option', { value: s, text: s }));
  $('search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    selected = null;
    void loadList(false);
  });
  $('filter-integration').addEventListener('change', () => void loadList(false));
  $('filter-state').addEventListener('change', () => void loadList(false));
  $('search-clear').addEventListener('click', () => {
    for (const id of ['search-message-id', 'search-user', 'search-event']) $(id).value = '';
    $('filter-integration').value = '';
    $('filter-state').value = '';
    void loadList(false);
  });
  $('more').addEventListener('click', () => void loadList(true));
  $('replay-dead').addEventListener('click', async () => {
    const integration = filters().integration;
    const scope = integration ? integration + "'s" : "every integration's";
    if (!(await confirmResend('Re-send ' + scope + ' dead-lettered events? Signal will send each of them again now, with a fresh set of attempts.'))) return;
    void replayEvents(integration ? { integration, state: 'dead' } : { state: 'dead' });
  });
  for (const b of document.querySelectorAll('nav button')) b.addEventListener('click', () => showView(b.dataset.view));
  void connect();
}

init().catch((error) => {
  if (error.message !== 'unauthorized') notice('Could not start: ' + error.message, 'error');
});
`;

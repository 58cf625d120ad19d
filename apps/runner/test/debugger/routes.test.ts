import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestFeed } from '../../src/collector/ingest-feed.js';
import { registerDebugger, type DebuggerOptions } from '../../src/debugger/index.js';
import type { VendorFault, VendorFaultControl } from '../../src/dev/faults.js';
import { fixtureIntegrations } from './integrations-fixture.js';
import { openSpoolFixture, type SpoolFixture } from './spool-fixture.js';

// The debugger's HTTP surface without a browser: auth, the disabled state, the API, the live stream.
const TOKEN = 'admin-token-for-tests-1';
const bearer = (t = TOKEN) => ({ authorization: `Bearer ${t}` });
let fx: SpoolFixture;
let app: FastifyInstance;

async function start(options: Partial<Pick<DebuggerOptions, 'adminToken' | 'redact' | 'rejections' | 'vendorFaults'>> = { adminToken: TOKEN }) {
  fx = openSpoolFixture();
  app = Fastify();
  await registerDebugger(app, { spool: fx.spool, engine: fx.engine, integrations: fixtureIntegrations(), ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

afterEach(async () => {
  await app?.close();
  await fx?.cleanup();
});

const routes = ['/debugger', '/debugger/stream', '/debugger/api/integrations', '/debugger/api/deliveries', '/debugger/api/events', '/debugger/api/events/m-1', '/debugger/api/rejections', '/debugger/api/dev/vendors'];
const posts = ['/debugger/api/replay', '/debugger/api/integrations/webhook/resume', '/debugger/api/integrations/webhook/send-test', '/debugger/api/dev/vendors/webhook/fault'];

describe('debugger auth', () => {
  it('is locked (401 saying how to get a token) when no admin token is configured: never open', async () => {
    await start({});
    for (const url of [...routes, ...posts]) {
      const res = await app.inject({ method: posts.includes(url) ? 'POST' : 'GET', url, headers: bearer() });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error, url).toMatch(/set server\.admin_token/);
    }
  });

  it('refuses every route without the token, with a wrong one, or with one of another length (401)', async () => {
    await start();
    for (const url of routes) {
      expect((await app.inject({ url })).statusCode, url).toBe(401);
      expect((await app.inject({ url, headers: bearer('admin-token-for-tests-2') })).statusCode, url).toBe(401);
      expect((await app.inject({ url, headers: bearer('short') })).statusCode, url).toBe(401);
      expect((await app.inject({ url: `${url}?token=wrong-token-value` })).statusCode, url).toBe(401);
    }
    for (const url of posts) {
      expect((await app.inject({ method: 'POST', url, payload: {} })).statusCode, url).toBe(401);
      expect((await app.inject({ method: 'POST', url, payload: {}, headers: bearer('admin-token-for-tests-2') })).statusCode, url).toBe(401);
    }
  });

  it('accepts the token as a Bearer header everywhere, and as ?token= only on the page, which answers with a session cookie', async () => {
    await start();
    expect((await app.inject({ url: '/debugger/api/integrations', headers: bearer() })).json().integrations.map((i: { id: string }) => i.id)).toEqual(['leanplum', 'webhook']);
    expect((await app.inject({ url: `/debugger/api/integrations?token=${TOKEN}` })).statusCode).toBe(401);
    expect((await app.inject({ url: `/debugger/stream?token=${TOKEN}` })).statusCode).toBe(401);
    const page = await app.inject({ url: `/debugger?token=${TOKEN}` });
    expect(page.statusCode).toBe(200);
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toMatch(/^signal_admin\w*=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;
    expect((await app.inject({ url: '/debugger/api/integrations', headers: { cookie: session } })).statusCode).toBe(200);
    // A cookie is ambient, so it counts only on the origin's own requests.
    expect((await app.inject({ url: '/debugger/api/integrations', headers: { cookie: session, 'sec-fetch-site': 'same-site' } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/debugger/api/integrations', headers: { cookie: `${session.split('=')[0]}=1.${'A'.repeat(43)}` } })).statusCode).toBe(401);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'sha256-/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('Signal event debugger');
  });

  it('answers a browser without the token with an HTML 401 page that explains ?token=', async () => {
    await start();
    const res = await app.inject({ url: '/debugger', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('/debugger?token=');
  });
});

describe('debugger API', () => {
  it('lists deliveries with filters and shows one event per integration', async () => {
    await start();
    const a = await fx.accept({ type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'm-1' }, ['leanplum', 'webhook']);
    await fx.settle(a.message_id, 'leanplum', 'delivered', { result: { status: 'delivered' }, payload: { event: 'Purchase' } });
    await fx.settle(a.message_id, 'webhook', 'dead', { result: { status: 'retry', reason: 'HTTP 503' } });

    const all = (await app.inject({ url: '/debugger/api/deliveries', headers: bearer() })).json();
    expect(all.deliveries.map((d: { integration: string; state: string }) => `${d.integration}:${d.state}`).sort()).toEqual(['leanplum:delivered', 'webhook:dead']);
    const dead = (await app.inject({ url: '/debugger/api/deliveries?state=dead', headers: bearer() })).json();
    expect(dead.deliveries.map((d: { integration: string }) => d.integration)).toEqual(['webhook']);
    const lp = (await app.inject({ url: '/debugger/api/deliveries?integration=leanplum', headers: bearer() })).json();
    expect(lp.deliveries.map((d: { state: string }) => d.state)).toEqual(['delivered']);
    expect((await app.inject({ url: '/debugger/api/deliveries?state=bogus', headers: bearer() })).statusCode).toBe(400);

    const detail = (await app.inject({ url: '/debugger/api/events/m-1', headers: bearer() })).json();
    expect(detail.event).toMatchObject({ event: 'Order Completed', user_id: 'u1' });
    const byId = Object.fromEntries(detail.deliveries.map((d: { integration: string }) => [d.integration, d]));
    expect(byId.leanplum.history[0].payload).toEqual({ event: 'Purchase' });
    expect(byId.webhook.state).toBe('dead');
    expect((await app.inject({ url: '/debugger/api/events/nope', headers: bearer() })).statusCode).toBe(404);
  });

  it('replays dead-lettered deliveries (all of an integration, or one event) and wakes the engine', async () => {
    await start();
    for (const id of ['d-1', 'd-2']) {
      await fx.accept({ type: 'track', event: 'X', userId: id, messageId: id }, ['webhook']);
      await fx.settle(id, 'webhook', 'dead', { result: { status: 'retry', reason: 'HTTP 503' } });
    }
    const bad = await app.inject({ method: 'POST', url: '/debugger/api/replay', headers: bearer(), payload: { integration: 'nope' } });
    expect(bad.statusCode).toBe(400);

    const one = await app.inject({ method: 'POST', url: '/debugger/api/replay', headers: bearer(), payload: { integration: 'webhook', message_ids: ['d-1'] } });
    expect(one.json()).toEqual({ replayed: 1, status: 'dead', integration: 'webhook', forced: false });
    expect((await fx.spool.event('d-1'))!.deliveries[0]!.state).toBe('pending');
    expect((await fx.spool.event('d-2'))!.deliveries[0]!.state).toBe('dead');

    const rest = await app.inject({ method: 'POST', url: '/debugger/api/replay', headers: bearer(), payload: { integration: 'webhook' } });
    expect(rest.json()).toEqual({ replayed: 1, status: 'dead', integration: 'webhook', forced: false });
    expect((await fx.spool.event('d-2'))!.deliveries[0]!.state).toBe('pending');
    expect(fx.engine.woken).toEqual(['webhook', 'webhook']);
  });

  it('masks secrets with the runner redactor in everything it returns, even in a payload the spool kept raw', async () => {
    const secret = 'sk_live_"quoted"_secret';
    await start({ adminToken: TOKEN, redact: (text) => text.split(secret).join('[REDACTED]') });
    await fx.accept({ type: 'track', event: 'X', userId: 'u1', messageId: 'r-1' }, ['webhook']);
    await fx.settle('r-1', 'webhook', 'rejected', { result: { status: 'rejected', code: '400', message: `bad key ${secret}` }, payload: { key: secret } });
    const res = await app.inject({ url: '/debugger/api/events/r-1', headers: bearer() });
    expect(res.body).not.toContain('sk_live_');
    expect(res.json().deliveries[0].history[0].payload).toEqual({ key: '[REDACTED]' });
    const list = await app.inject({ url: '/debugger/api/deliveries', headers: bearer() });
    expect(list.body).toContain('[REDACTED]');
    expect(list.body).not.toContain('sk_live_');
  });
});

describe('debugger live stream', () => {
  it('streams each engine attempt as its event\'s list row, and app.close() ends open streams', async () => {
    const base = await start();
    const unauthorized = await fetch(`${base}/debugger/stream`);
    expect(unauthorized.status).toBe(401);

    const res = await fetch(`${base}/debugger/stream`, { headers: bearer() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}; got: ${text}`);
        text += value;
      }
    };
    await until(/event: ready/);

    await fx.accept({ type: 'track', event: 'Order Completed', userId: 'u9', messageId: 'live-1' }, ['leanplum']);
    await fx.settle('live-1', 'leanplum', 'delivered', { result: { status: 'delivered' } });
    await until(/event: event\ndata: .*\n\n/);
    const row = JSON.parse(/event: event\ndata: (.*)\n/.exec(text)![1]!);
    // One row per event, with every integration's delivery in it.
    expect(row).toMatchObject({ messageId: 'live-1', type: 'track', eventName: 'Order Completed', userId: 'u9', source: 'web' });
    expect(row.deliveries.map((d: { integration: string; state: string }) => `${d.integration}:${d.state}`)).toEqual(['leanplum:delivered']);
    expect(row.deliveries[0].history).toBeUndefined();

    await app.close();
    // Resolves only if close() ended the stream (otherwise the test times out).
    let ended = false;
    while (!ended) ended = (await reader.read().catch(() => ({ done: true }))).done;
    expect(ended).toBe(true);
  });
});

describe('debugger API: events, replay of one event, integrations, rejections, fake vendors', () => {
  const get = (url: string) => app.inject({ url, headers: bearer() });
  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, headers: bearer(), payload: payload as object });

  it('lists one row per event with a delivery per integration, and searches by message id, user, anonymous id and event name', async () => {
    await start();
    await fx.accept({ type: 'track', event: 'Order Completed', userId: 'buyer-1', anonymousId: 'anon-1', messageId: 'e-1' }, ['leanplum', 'webhook']);
    await fx.accept({ type: 'track', event: 'Product Viewed', anonymousId: 'anon-2', messageId: 'e-2' }, ['leanplum', 'webhook']);
    await fx.settle('e-1', 'leanplum', 'delivered', { result: { status: 'delivered' } });

    const all = (await get('/debugger/api/events')).json();
    expect(all.events.map((e: { messageId: string }) => e.messageId)).toEqual(['e-2', 'e-1']);
    const e1 = all.events[1];
    expect(e1).toMatchObject({ type: 'track', eventName: 'Order Completed', userId: 'buyer-1', anonymousId: 'anon-1' });
    expect(e1.deliveries.map((d: { integration: string; state: string }) => `${d.integration}:${d.state}`).sort()).toEqual(['leanplum:delivered', 'webhook:pending']);

    const ids = async (query: string) => (await get(`/debugger/api/events?${query}`)).json().events.map((e: { messageId: string }) => e.messageId);
    expect(await ids('message_id=e-2')).toEqual(['e-2']);
    expect(await ids('user=buyer-1')).toEqual(['e-1']);
    expect(await ids('user=anon-1')).toEqual(['e-1']);
    expect(await ids('user=anon-2')).toEqual(['e-2']);
    expect(await ids('event=order%20completed')).toEqual(['e-1']);
    expect(await ids('state=delivered')).toEqual(['e-1']);
    expect(await ids('integration=webhook&state=pending')).toEqual(['e-2', 'e-1']);
    // Blank fields mean "any" (the page sends its empty inputs).
    expect(await ids('message_id=&user=&event=')).toEqual(['e-2', 'e-1']);
    expect((await get('/debugger/api/events?state=bogus')).statusCode).toBe(400);
    expect((await get('/debugger/api/events?before=%3Cscript%3E')).statusCode).toBe(400);
    expect((await get(`/debugger/api/events?user=${'x'.repeat(401)}`)).json().error).toMatch(/^user: /);
  });

  it('replays one delivered event to one integration only with force, and never in bulk', async () => {
    await start();
    await fx.accept({ type: 'track', event: 'X', userId: 'u1', messageId: 'f-1' }, ['leanplum', 'webhook']);
    await fx.settle('f-1', 'leanplum', 'delivered', { result: { status: 'delivered' } });
    await fx.settle('f-1', 'webhook', 'delivered', { result: { status: 'delivered' } });

    const unforced = await post('/debugger/api/replay', { integration: 'leanplum', state: 'delivered', message_ids: ['f-1'] });
    expect(unforced.statusCode).toBe(400);
    expect(unforced.json().error).toMatch(/sends them to the vendor again.*force: true/);
    const bulk = await post('/debugger/api/replay', { state: 'delivered', force: true });
    expect(bulk.statusCode).toBe(400);
    expect((await post('/debugger/api/replay', { state: 'delivered', message_ids: ['f-1'], force: 'yes' })).statusCode).toBe(400);

    const forced = await post('/debugger/api/replay', { integration: 'leanplum', state: 'delivered', message_ids: ['f-1'], force: true });
    expect(forced.json()).toEqual({ replayed: 1, status: 'delivered', integration: 'leanplum', forced: true });
    const states = Object.fromEntries((await fx.spool.event('f-1'))!.deliveries.map((d) => [d.integration, d.state]));
    expect(states).toEqual({ leanplum: 'pending', webhook: 'delivered' });
    expect(fx.engine.woken).toEqual(['leanplum']);
  });

  it('describes each integration: plugin and version, preset, the merged event map, consent, concurrency, queue, pause; resume ends a pause', async () => {
    await start();
    await fx.accept({ type: 'track', event: 'X', userId: 'u1', messageId: 'q-1' }, ['leanplum', 'webhook']);
    await fx.accept({ type: 'track', event: 'X', userId: 'u2', messageId: 'q-2' }, ['webhook']);
    fx.engine.pausedNow['webhook'] = 'the vendor refused its credentials (HTTP 401)';

    const { integrations } = (await get('/debugger/api/integrations')).json();
    const lp = integrations.find((i: { id: string }) => i.id === 'leanplum');
    expect(lp).toMatchObject({ plugin: '@signal/leanplum', pluginName: 'Leanplum', preset: 'retail', consent: [], concurrency: 1, paused: null, queue: { depth: 1 } });
    expect(lp.version).toMatch(/^\d+\.\d+\.\d+/);
    const rule = (event: string) => lp.eventMap.events.find((r: { event: string }) => r.event === event);
    // Preset rule kept as is; preset rule renamed by an override (its fields stay); a rule only the override has.
    expect(rule('Order Completed')).toEqual({ event: 'Order Completed', to: 'Purchase', fields: { value: 'properties.revenue', currencyCode: 'properties.currency' }, omit: ['products'], origin: 'preset' });
    expect(rule('Product Added')).toEqual({ event: 'Product Added', to: 'AddToBasket', origin: 'preset + override' });
    expect(rule('Wishlist Product Added')).toEqual({ event: 'Wishlist Product Added', to: 'Wishlist', origin: 'override' });
    expect(lp.eventMap.unmapped).toBe('drop');
    // The retail preset leaves products out of Purchase only (its own rule), nothing from every event.
    expect(lp.eventMap.properties).toBeUndefined();

    const wh = integrations.find((i: { id: string }) => i.id === 'webhook');
    expect(wh).toMatchObject({ consent: ['marketing'], concurrency: 4, paused: 'the vendor refused its credentials (HTTP 401)', queue: { depth: 2 }, eventMap: { unmapped: 'passthrough', events: [] } });
    expect(wh.fakeVendor).toBeUndefined();

    expect((await post('/debugger/api/integrations/nope/resume', {})).statusCode).toBe(404);
    expect((await post('/debugger/api/integrations/webhook/resume', {})).json()).toEqual({ resumed: 'webhook' });
    expect((await get('/debugger/api/integrations')).json().integrations.find((i: { id: string }) => i.id === 'webhook').paused).toBeNull();
  });

  it('keeps recent rejected ingest requests for the page and streams new ones live', async () => {
    const rejections = new IngestFeed();
    const base = await start({ adminToken: TOKEN, rejections });
    rejections.emit({ at: Date.now(), status: 401, reason: 'unknown write key', path: '/v1/track', ip: '127.0.0.1', userAgent: 'curl/8' });
    expect((await get('/debugger/api/rejections')).json().rejections).toEqual([expect.objectContaining({ status: 401, reason: 'unknown write key', path: '/v1/track' })]);

    const res = await fetch(`${base}/debugger/stream`, { headers: bearer() });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!/event: ready/.test(text)) text += (await reader.read()).value ?? '';
    rejections.emit({ at: Date.now(), status: 400, reason: 'batch.0.user_id: user_id or anonymous_id is required', path: '/v1/batch', source: 'web', ip: '127.0.0.1' });
    while (!/event: rejections\ndata: .*\n\n/.test(text)) text += (await reader.read()).value ?? '';
    const frame = JSON.parse(/event: rejections\ndata: (.*)\n/.exec(text)![1]!);
    expect(frame.rejections).toEqual([expect.objectContaining({ status: 400, source: 'web', path: '/v1/batch' })]);
    await reader.cancel();
    const list = (await get('/debugger/api/rejections')).json().rejections;
    expect(list.map((r: { status: number }) => r.status)).toEqual([400, 401]);
  });

  it('changes a fake vendor\'s answer in signal dev only, with a validated body', async () => {
    const set: [string, VendorFault][] = [];
    const control: VendorFaultControl = {
      list: () => [{ vendor: 'webhook', url: 'http://127.0.0.1:1', integrations: ['webhook'], fault: set.at(-1)?.[1] ?? { mode: 'normal' } }],
      set: (vendor, fault) => (vendor === 'webhook' ? (set.push([vendor, fault]), true) : false),
    };
    await start({ adminToken: TOKEN, vendorFaults: control });
    expect((await post('/debugger/api/dev/vendors/webhook/fault', { mode: 'rate-limit' })).json()).toEqual({ vendor: 'webhook', fault: { mode: 'rate-limit', retry_after_s: 5 } });
    expect((await post('/debugger/api/dev/vendors/webhook/fault', { mode: 'explode' })).statusCode).toBe(400);
    expect((await post('/debugger/api/dev/vendors/webhook/fault', { mode: 'slow', delay_ms: 10 })).statusCode).toBe(400);
    expect((await post('/debugger/api/dev/vendors/nope/fault', { mode: 'error' })).statusCode).toBe(404);
    expect(set).toEqual([['webhook', { mode: 'rate-limit', retry_after_s: 5 }]]);
    const wh = (await get('/debugger/api/integrations')).json().integrations.find((i: { id: string }) => i.id === 'webhook');
    expect(wh.fakeVendor).toEqual({ vendor: 'webhook', url: 'http://127.0.0.1:1', fault: { mode: 'rate-limit', retry_after_s: 5 } });
  });

  it('takes JSON bodies only (no form or text/plain shapes another site could post)', async () => {
    await start();
    for (const url of posts) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const res = await app.inject({ method: 'POST', url, headers: { ...bearer(), 'content-type': type }, payload: '{"state":"dead"}' });
        expect(res.statusCode, `${url} ${type}`).toBe(415);
      }
    }
    expect((await post('/debugger/api/replay', { state: 'dead' })).statusCode).toBe(200);
  });

  it('has no fake-vendor routes outside signal dev', async () => {
    await start();
    expect((await get('/debugger/api/dev/vendors')).statusCode).toBe(404);
    expect((await post('/debugger/api/dev/vendors/webhook/fault', { mode: 'error' })).statusCode).toBe(404);
  });
});

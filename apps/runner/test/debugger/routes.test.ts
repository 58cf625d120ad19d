import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerDebugger } from '../../src/debugger/index.js';
import { openSpoolFixture, type SpoolFixture } from './spool-fixture.js';

// The debugger's HTTP surface without a browser: auth, the disabled state, the API, the live stream.
const TOKEN = 'admin-token-for-tests-1';
const bearer = (t = TOKEN) => ({ authorization: `Bearer ${t}` });
let fx: SpoolFixture;
let app: FastifyInstance;

async function start(options: { adminToken?: string; redact?: (text: string) => string } = { adminToken: TOKEN }) {
  fx = openSpoolFixture();
  app = Fastify();
  await registerDebugger(app, { spool: fx.spool, engine: fx.engine, integrations: ['leanplum', 'webhook'], ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

afterEach(async () => {
  await app?.close();
  await fx?.cleanup();
});

const routes = ['/debugger', '/debugger/stream', '/debugger/api/integrations', '/debugger/api/deliveries', '/debugger/api/events/m-1'];

describe('debugger auth', () => {
  it('is locked (401 saying how to get a token) when no admin token is configured: never open', async () => {
    await start({});
    for (const url of [...routes, '/debugger/api/replay']) {
      const res = await app.inject({ method: url.endsWith('replay') ? 'POST' : 'GET', url, headers: bearer() });
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
    const replay = await app.inject({ method: 'POST', url: '/debugger/api/replay', payload: {} });
    expect(replay.statusCode).toBe(401);
  });

  it('accepts the token as a Bearer header everywhere, and as ?token= only on the page, which answers with a session cookie', async () => {
    await start();
    expect((await app.inject({ url: '/debugger/api/integrations', headers: bearer() })).json()).toEqual({ integrations: ['leanplum', 'webhook'] });
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
  it('streams each engine attempt as a list row, and app.close() ends open streams', async () => {
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
    await until(/event: delivery\ndata: .*\n\n/);
    const row = JSON.parse(/event: delivery\ndata: (.*)\n/.exec(text)![1]!);
    expect(row).toMatchObject({ integration: 'leanplum', messageId: 'live-1', state: 'delivered', eventName: 'Order Completed', userKey: 'u9' });
    expect(row.history).toBeUndefined();

    await app.close();
    // Resolves only if close() ended the stream (otherwise the test times out).
    let ended = false;
    while (!ended) ended = (await reader.read().catch(() => ({ done: true }))).done;
    expect(ended).toBe(true);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@signal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { loadConfigText } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { startRunner, type Runner } from '../../src/runner.js';
import type { EventDetail } from '../../src/spool/types.js';
import { configFor, eventually, normal, startVendors, type Vendors } from '../app/helpers/vendors.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// The admin surface (/api, /debugger) over real HTTP: never open without a credential, CSRF-proof
// shapes only, no CORS, and replay only when asked for deliberately. The fake vendors are the oracle.
const ADMIN = 'admin-surface-token-1';
const KEY = 'test-write-key';
const bearer = { authorization: `Bearer ${ADMIN}` };
const final = new Set(['delivered', 'rejected', 'dropped', 'dead']);

let vendors: Vendors;
let runner: Runner;
let locked: Runner;
let dir: string;

/** Every admin route that exists today, plus paths no route has (yet). */
const adminRequests: [string, string][] = [
  ['GET', '/api/deliveries'],
  ['GET', '/api/events/m-1'],
  ['POST', '/api/replay'],
  ['GET', '/api/integrations/paused'],
  ['POST', '/api/integrations/webhook/resume'],
  ['GET', '/debugger'],
  ['GET', '/debugger/stream'],
  ['GET', '/debugger/api/integrations'],
  ['GET', '/debugger/api/deliveries'],
  ['GET', '/debugger/api/events/m-1'],
  ['POST', '/debugger/api/replay'],
  ['HEAD', '/api/deliveries'],
  ['OPTIONS', '/api/replay'],
  ['GET', '/api/not-a-route-yet'],
  ['GET', '/%61pi/deliveries'],
  ['GET', '/debugger/api/not-a-route-yet'],
];

const call = (base: string, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
  fetch(`${base}${path}`, { method, headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body }) });

const send = async (event: Record<string, unknown>) => {
  const res = await fetch(`${runner.url}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` },
    body: JSON.stringify({ type: 'track', event: 'Order Completed', userId: 'u-admin', properties: { order_id: 'o-1', revenue: 1 }, ...event }),
  });
  expect(res.status).toBe(200);
};
const settled = (id: string) =>
  eventually(async () => {
    const res = await fetch(`${runner.url}/api/events/${id}`, { headers: bearer });
    if (res.status !== 200) return undefined;
    const d = (await res.json()) as EventDetail;
    return d.deliveries.length === 4 && d.deliveries.every((x) => final.has(x.state)) ? d : undefined;
  }, `event ${id} to settle`);
const replay = (body: unknown) => call(runner.url, 'POST', '/api/replay', { headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const sentTo = (v: { requests: { body: string; path: string }[] }, id: string) => v.requests.filter((r) => decodeURIComponent(r.body + r.path).includes(id)).length;

beforeAll(async () => {
  vendors = await startVendors();
  dir = mkdtempSync(join(tmpdir(), 'signal-admin-surface-'));
  linkWorkspacePlugins(dir);
  const retry = 'retry: { base_ms: 10, cap_ms: 20, max_attempts: 2, min_window_ms: 0 }';
  const loaded = await loadConfigText(configFor(vendors, { dbPath: join(dir, 'signal.db'), adminToken: ADMIN, retry }), { file: 'admin.yaml', dir, env: {} });
  runner = await startRunner(loaded, { logger: silentLogger, engine: { lingerMs: 10, pollIntervalMs: 50 } });
  // The same runner wiring without any admin token: the surface must be locked, not open.
  const bare = await loadConfigText(configFor(vendors, { dbPath: join(dir, 'bare.db') }), { file: 'bare.yaml', dir, env: {} });
  locked = await startRunner(bare, { logger: silentLogger, engine: { lingerMs: 10, pollIntervalMs: 50 } });
});
afterAll(async () => {
  await runner?.stop();
  await locked?.stop();
  await Promise.all(Object.values(vendors ?? {}).map((v) => v.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('no admin route answers without a credential', () => {
  it('every /api and /debugger route (and unknown or encoded paths under them) answers 401 without a token or with a wrong one', async () => {
    for (const [method, path] of adminRequests) {
      const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-123' }, { authorization: `Basic ${Buffer.from(`${ADMIN}:`).toString('base64')}` }, { cookie: 'signal_admin=1.x' }];
      for (const headers of refused) {
        const res = await call(runner.url, method, path, { headers });
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('access-control-allow-origin'), `${method} ${path}`).toBeNull();
      }
    }
    // ?token= is the page's one-time exchange, not a credential for the API or the stream.
    for (const path of ['/api/deliveries', '/debugger/api/deliveries', '/debugger/stream']) {
      expect((await call(runner.url, 'GET', `${path}?token=${ADMIN}`)).status, path).toBe(401);
    }
  });

  it('without any configured admin token the surface is locked, even for a guessed token', async () => {
    for (const [method, path] of adminRequests) {
      const res = await call(locked.url, method, path, { headers: { authorization: 'Bearer undefined' } });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    const res = await call(locked.url, 'GET', '/api/deliveries');
    expect(((await res.json()) as { error: string }).error).toMatch(/server\.admin_token/);
  });

  it('routes registered later, on any scope, are covered by the same guard', async () => {
    const app = buildServer({
      spool: runner.spool,
      metrics: createMetrics(runner.spool),
      sources: new Map([[KEY, 'web']]),
      routes: new Map([['web', ['webhook']]]),
      adminToken: ADMIN,
      engine: { wake: () => {}, paused: () => ({}), resume: () => {}, running: () => true },
    });
    app.get('/api/added-later', async () => ({ open: true }));
    await app.register(async (scope) => scope.post('/debugger/api/added-later', async () => ({ open: true })), {});
    await app.register(async (scope) => scope.get('/added-later', async () => ({ open: true })), { prefix: '/api/nested' });
    for (const [method, url] of [['GET', '/api/added-later'], ['POST', '/debugger/api/added-later'], ['GET', '/api/nested/added-later']] as const) {
      expect((await app.inject({ method, url })).statusCode, url).toBe(401);
      expect((await app.inject({ method, url, headers: { ...bearer, 'content-type': 'application/json' }, payload: '{}' })).statusCode, url).toBe(200);
    }
    await app.close();
  });

  it('/v1, /healthz and /metrics stay outside the admin guard', async () => {
    expect((await fetch(`${runner.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${runner.url}/metrics`)).status).toBe(200);
  });
});

describe('CSRF-proof shapes only', () => {
  it('refuses every body that is not application/json (415), even with the token', async () => {
    const bodies: [string, string][] = [
      ['text/plain', '{"status":"delivered","force":true,"integration":"webhook"}'],
      ['application/x-www-form-urlencoded', 'status=delivered&force=true&integration=webhook'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="status"\r\n\r\ndelivered\r\n--x--\r\n'],
      ['application/json-patch+json', '{}'],
    ];
    for (const path of ['/api/replay', '/debugger/api/replay', '/api/integrations/webhook/resume']) {
      for (const [type, body] of bodies) {
        const res = await call(runner.url, 'POST', path, { headers: { ...bearer, 'content-type': type }, body });
        expect(res.status, `${path} ${type}`).toBe(415);
      }
      // A body without any content type is refused too.
      expect((await call(runner.url, 'POST', path, { headers: bearer, body: '{}' })).status, path).toBe(415);
    }
  });

  it('refuses state changes that a browser marks as coming from another origin (403)', async () => {
    const json = { ...bearer, 'content-type': 'application/json' };
    for (const headers of [
      { ...json, origin: 'http://evil.example' },
      { ...json, origin: 'null' },
      { ...json, 'sec-fetch-site': 'cross-site' },
      { ...json, 'sec-fetch-site': 'same-site' },
    ]) {
      const res = await call(runner.url, 'POST', '/api/replay', { headers, body: '{}' });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    const own = await call(runner.url, 'POST', '/api/replay', { headers: { ...json, origin: runner.url, 'sec-fetch-site': 'same-origin' }, body: '{}' });
    expect(own.status).toBe(200);
  });

  it('answers no CORS on /api, also to a preflight that carries the token', async () => {
    const pre = await call(runner.url, 'OPTIONS', '/api/replay', {
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-headers')).toBeNull();
    const get = await call(runner.url, 'GET', '/api/deliveries', { headers: { ...bearer, origin: 'http://evil.example' } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('replay is deliberate', () => {
  it('dead letters by default; delivered only with force and a scope; it says how many; unknown integrations are refused', async () => {
    vendors.leanplum.respond(normal.leanplum);
    vendors.launchdarkly.respond(normal.launchdarkly);
    vendors.webhook.respond(normal.webhook);
    vendors.clevertap.respond(() => ({ status: 503 }));
    await send({ messageId: 'rp-1' });
    const first = await settled('rp-1');
    expect(Object.fromEntries(first.deliveries.map((d) => [d.integration, d.state]))).toEqual({ leanplum: 'delivered', clevertap: 'dead', launchdarkly: 'delivered', webhook: 'delivered' });
    const webhookBefore = sentTo(vendors.webhook, 'rp-1');

    // Default: dead letters only.
    vendors.clevertap.respond((req) => normal.clevertap(req.json<{ d: unknown[] }>().d.length));
    const dead = await replay({});
    expect(dead.status).toBe(200);
    expect(await dead.json()).toMatchObject({ replayed: 1, status: 'dead', forced: false });
    await eventually(async () => ((await settled('rp-1')).deliveries.find((d) => d.integration === 'clevertap')?.state === 'delivered' ? true : undefined), 'clevertap re-delivered');

    // Delivered (or dropped) needs force, and force needs a scope.
    for (const body of [{ status: 'delivered' }, { status: 'delivered', integration: 'webhook' }, { status: 'dropped', integration: 'webhook' }, { status: 'delivered', force: true }]) {
      const res = await replay(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/force|scope/);
    }
    expect((await replay({ integration: 'nope' })).status).toBe(400);
    expect((await replay({ status: 'everything' })).status).toBe(400);
    expect(sentTo(vendors.webhook, 'rp-1')).toBe(webhookBefore);

    const forced = await replay({ status: 'delivered', force: true, integration: 'webhook', message_ids: ['rp-1'] });
    expect(forced.status).toBe(200);
    expect(await forced.json()).toEqual({ replayed: 1, status: 'delivered', integration: 'webhook', forced: true });
    await eventually(async () => (sentTo(vendors.webhook, 'rp-1') === webhookBefore + 1 ? true : undefined), 'the forced re-send at the webhook');
  });

  it('resume of an unknown integration is 404; of a known one 200', async () => {
    const json = { ...bearer, 'content-type': 'application/json' };
    const unknown = await call(runner.url, 'POST', '/api/integrations/nope/resume', { headers: json, body: '{}' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/nope/);
    expect((await call(runner.url, 'POST', '/api/integrations/webhook/resume', { headers: bearer })).status).toBe(200);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { openSqliteSpool } from '../../src/spool/sqlite.js';
import type { Spool } from '../../src/spool/types.js';

// The collector over real HTTP; the oracle is the SQLite file itself, read with its own connection.
const KEY = 'web-write-key-1';
let dir: string;
let spool: Spool;
let app: FastifyInstance;
let base: string;
let woken: (string | undefined)[] = [];
let seq = 0;

const db = () => new Database(join(dir, 'signal.db'), { readonly: true });
const storedEvents = () => {
  const d = db();
  try {
    return d.prepare('SELECT message_id, body FROM events ORDER BY seq').all() as { message_id: string; body: string }[];
  } finally {
    d.close();
  }
};
const storedJobs = () => {
  const d = db();
  try {
    return d.prepare('SELECT message_id, integration FROM jobs ORDER BY id').all() as { message_id: string; integration: string }[];
  } finally {
    d.close();
  }
};

const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;
const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: basic(KEY) }) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const track = (over: Record<string, unknown> = {}) => ({ event: 'Order Completed', userId: 'u1', messageId: `m-${++seq}`, properties: { revenue: 10 }, ...over });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signal-collector-'));
  spool = openSqliteSpool({ path: join(dir, 'signal.db') });
  const engine = { wake: (id?: string) => void woken.push(id), paused: () => ({}), resume: () => {}, running: () => true };
  app = buildServer({
    spool,
    metrics: createMetrics(spool),
    sources: new Map([[KEY, 'web']]),
    routes: new Map([['web', ['acme', 'webhook']]]),
    engine,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
afterAll(async () => {
  await app.close();
  await spool.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  woken = [];
});

describe('collector auth', () => {
  it('accepts the write key as HTTP Basic user name, stores the event once with a job per routed integration, wakes the engine', async () => {
    const event = track();
    const res = await post('/v1/track', event);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    expect(storedJobs().filter((j) => j.message_id === event.messageId).map((j) => j.integration).sort()).toEqual(['acme', 'webhook']);
    expect(woken.sort()).toEqual(['acme', 'webhook']);
  });

  it('accepts writeKey in the body', async () => {
    const event = { ...track(), writeKey: KEY };
    const res = await post('/v1/track', event, {});
    expect(res.status).toBe(200);
    expect(storedEvents().some((e) => e.message_id === event.messageId)).toBe(true);
  });

  it('refuses an unknown or missing key with 401 and stores nothing', async () => {
    const event = track();
    expect((await post('/v1/track', event, { authorization: basic('nope-nope') })).status).toBe(401);
    expect((await post('/v1/track', event, {})).status).toBe(401);
    expect(storedEvents().some((e) => e.message_id === event.messageId)).toBe(false);
  });
});

describe('Segment browser SDK compatibility', () => {
  it('answers CORS preflight and accepts text/plain posts to the short paths with writeKey in the body', async () => {
    const pre = await fetch(`${base}/v1/t`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(pre.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    expect(pre.headers.get('access-control-max-age')).toBe('86400');
    const event = { ...track(), writeKey: KEY };
    const res = await fetch(`${base}/v1/t`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://shop.example' }, body: JSON.stringify(event) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const batch = { batch: [{ ...track(), type: 'track' }, { type: 'page', userId: 'u1', messageId: `m-${++seq}`, name: 'Home' }], writeKey: KEY };
    expect((await post('/v1/b', batch, {})).status).toBe(200);
    const ids = storedEvents().map((e) => e.message_id);
    expect(ids).toContain(event.messageId);
    expect(ids).toContain(batch.batch[1]!.messageId);
  });

  it('any other method under /v1 is a 404 naming the endpoints, with the CORS origin; paths outside /v1 are not the collector\'s', async () => {
    const res = await fetch(`${base}/v1/track`);
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await res.json()) as { error: string }).error).toBe('no ingest endpoint at GET /v1/track; POST to /v1/track, /v1/page, /v1/identify, /v1/group or /v1/batch');
    const unknown = await post('/v1/tracks', track());
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/^no ingest endpoint at POST \/v1\/tracks;/);
    // Percent-encoded as some proxies send it: the same endpoint (and the same route label).
    expect((await post('/v1/tr%61ck', track())).status).toBe(200);
    const outside = await fetch(`${base}/v1track`, { method: 'POST', headers: { authorization: basic(KEY) }, body: '{}' });
    expect(outside.status).toBe(404);
    expect(outside.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a short path still checks the call type', async () => {
    const res = await post('/v1/p', { ...track(), type: 'track' });
    expect(res.status).toBe(400);
  });
});

describe('collector validation', () => {
  it('normalises Segment camelCase to snake_case', async () => {
    const event = track({ anonymousId: 'anon-1', context: { userAgent: 'UA/1' } });
    expect((await post('/v1/track', event)).status).toBe(200);
    const row = storedEvents().find((e) => e.message_id === event.messageId)!;
    const body = JSON.parse(row.body) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'track', user_id: 'u1', anonymous_id: 'anon-1', message_id: event.messageId, context: { user_agent: 'UA/1' } });
    expect(body).not.toHaveProperty('userId');
  });

  it('bad JSON is a 400', async () => {
    const res = await post('/v1/track', '{"event": ');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/JSON/i);
  });

  it('a schema error is a 400 naming the field path', async () => {
    const res = await post('/v1/track', { event: 'X', messageId: `m-${++seq}` });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string }[] };
    expect(body.issues.map((i) => i.path)).toContain('user_id');
  });

  it('a batch with one bad item is refused whole (400 with batch.N path) and stores nothing', async () => {
    const good = [track(), track(), track()];
    const bad = { type: 'track', event: 'Y', messageId: `m-${++seq}` };
    const res = await post('/v1/batch', { batch: [good[0], good[1], good[2], bad].map((e) => ({ type: 'track', ...e })) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string }[] };
    expect(body.issues.map((i) => i.path)).toEqual(['batch.3.user_id']);
    const ids = new Set(storedEvents().map((e) => e.message_id));
    for (const e of [...good, bad]) expect(ids.has(e.messageId)).toBe(false);
  });

  it('a valid batch stores every item (mixed types)', async () => {
    const items = [{ type: 'track', ...track() }, { type: 'identify', userId: 'u9', messageId: `m-${++seq}`, traits: { email: 'a@b.c' } }, { type: 'page', name: 'Home', anonymousId: 'a1', messageId: `m-${++seq}` }];
    const res = await post('/v1/batch', { batch: items });
    expect(res.status).toBe(200);
    const ids = new Set(storedEvents().map((e) => e.message_id));
    for (const e of items) expect(ids.has(e.messageId)).toBe(true);
  });

  it('dedupes by message_id: the duplicate still gets 200, stored once', async () => {
    const event = track();
    expect((await post('/v1/track', event)).status).toBe(200);
    expect((await post('/v1/track', event)).status).toBe(200);
    expect((await post('/v1/batch', { batch: [{ type: 'track', ...event }] })).status).toBe(200);
    expect(storedEvents().filter((e) => e.message_id === event.messageId)).toHaveLength(1);
    expect(storedJobs().filter((j) => j.message_id === event.messageId)).toHaveLength(2);
  });
});

describe('collector size limits', () => {
  it('413 for an event over 32 KB, alone or inside a batch; nothing stored', async () => {
    const big = track({ properties: { blob: 'x'.repeat(33 * 1024) } });
    expect((await post('/v1/track', big)).status).toBe(413);
    const small = track();
    const res = await post('/v1/batch', { batch: [{ type: 'track', ...small }, { type: 'track', ...big }] });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toContain('batch.1');
    const ids = new Set(storedEvents().map((e) => e.message_id));
    expect(ids.has(big.messageId)).toBe(false);
    expect(ids.has(small.messageId)).toBe(false);
  });

  it('an event is measured in bytes, not characters: 17 K two-byte characters are over 32 KB (JSON and text/plain)', async () => {
    const wide = track({ properties: { blob: 'é'.repeat(17 * 1024) } });
    expect((await post('/v1/track', wide)).status).toBe(413);
    const beacon = await fetch(`${base}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ writeKey: KEY, batch: [{ type: 'track', ...wide }] }),
    });
    expect(beacon.status).toBe(413);
    const narrow = track({ properties: { blob: 'é'.repeat(15 * 1024) } });
    expect((await post('/v1/batch', { batch: [{ type: 'track', ...narrow }] })).status).toBe(200);
    const ids = new Set(storedEvents().map((e) => e.message_id));
    expect(ids.has(wide.messageId)).toBe(false);
    expect(ids.has(narrow.messageId)).toBe(true);
  });

  it('413 for a batch over 500 KB and for more than 2,500 events', async () => {
    const items = Array.from({ length: 20 }, () => ({ type: 'track', ...track({ properties: { blob: 'y'.repeat(30 * 1024) } }) }));
    expect((await post('/v1/batch', { batch: items })).status).toBe(413);
    const many = Array.from({ length: 2501 }, (_, i) => ({ type: 'track', event: 'E', userId: 'u', messageId: `many-${i}` }));
    expect((await post('/v1/batch', { batch: many })).status).toBe(413);
    expect(storedEvents().some((e) => e.message_id.startsWith('many-'))).toBe(false);
  });
});

describe('health and metrics', () => {
  it('healthz, readyz and /metrics with accepted counters per integration', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    const accepted = Number(/signal_events_accepted_total\{integration="acme"\} (\d+)/.exec(text)?.[1]);
    expect(accepted).toBe(storedJobs().filter((j) => j.integration === 'acme').length);
    expect(text).toMatch(/signal_queue_depth\{integration="acme"\} \d+/);
    expect(text).toContain('signal_http_request_duration_seconds_bucket');
    // Ingest requests are timed too (the collector answers them before Fastify routes anything), by route as registered.
    expect(text).toMatch(/signal_http_request_duration_seconds_count\{[^}]*route="\/v1\/track"[^}]*status_code="200"[^}]*\} [1-9]/);
    expect(text).toMatch(/signal_http_request_duration_seconds_count\{[^}]*route="\/v1\/batch"[^}]*status_code="413"[^}]*\} [1-9]/);
    expect(text).not.toContain('%61');
    expect(text).toMatch(/signal_collector_rejected_requests_total\{status="413"\} [1-9]/);
  });
});

describe('delivery log API protection', () => {
  it('with server.admin_token set, /api needs the Bearer token; /v1 and /healthz do not', async () => {
    const guarded = buildServer({
      spool,
      metrics: createMetrics(spool),
      sources: new Map([[KEY, 'web']]),
      routes: new Map([['web', ['acme']]]),
      adminToken: 'admin-token-123',
      engine: { wake: () => {}, paused: () => ({}), resume: () => {}, running: () => true },
    });
    await guarded.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(guarded.server.address() as { port: number }).port}`;
    try {
      expect((await fetch(`${url}/api/deliveries`)).status).toBe(401);
      expect((await fetch(`${url}/api/deliveries`, { headers: { authorization: 'Bearer wrong-token-000' } })).status).toBe(401);
      const ok = await fetch(`${url}/api/deliveries?integration=acme`, { headers: { authorization: 'Bearer admin-token-123' } });
      expect(ok.status).toBe(200);
      const ids = ((await ok.json()) as { deliveries: { messageId: string }[] }).deliveries.map((d) => d.messageId);
      expect(ids.length).toBeGreaterThan(0);
      const acmeIds = new Set(storedJobs().filter((j) => j.integration === 'acme').map((j) => j.message_id));
      for (const id of ids) expect(acmeIds.has(id)).toBe(true);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { logRejections } from '../../src/collector/rejection-log.js';
import { IngestFeed, type RejectedRequest } from '../../src/collector/ingest-feed.js';
import { SpoolError } from '../../src/spool/errors.js';
import type { Spool, SpoolHealth } from '../../src/spool/types.js';
import { basic, captureLogger, KEY, rawRequest, startCollector, track, type TestCollector } from './helpers/collector-server.js';

// Every refusal path is counted, told to the IngestFeed (the debugger's live view) and logged
// (rate-limited, never the write key); storage trouble and a full backlog are 503 + Retry-After.
let c: TestCollector | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

const post = (base: string, path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const metric = async (base: string, pattern: RegExp) => Number(pattern.exec(await (await fetch(`${base}/metrics`)).text())?.[1] ?? NaN);

describe('every refused ingest request reaches the IngestFeed and the log', () => {
  it('401, 400, 404, 413, 415 from the collector and from Fastify, with status, reason, path and source when known', async () => {
    c = await startCollector();
    const { base } = c;
    const auth = { authorization: basic(KEY) };
    const secretKey = 'not-a-real-key-SECRET-42';
    const cases: { name: string; send: () => Promise<Response>; status: number; reason: RegExp; path: string; source?: string }[] = [
      { name: 'unknown key in the header', send: () => post(base, '/v1/track', JSON.stringify(track()), { authorization: basic(secretKey) }), status: 401, reason: /unknown write key/, path: '/v1/track' },
      { name: 'unknown key in the body', send: () => post(base, '/v1/t', JSON.stringify({ ...track(), writeKey: secretKey }), { 'content-type': 'text/plain' }), status: 401, reason: /unknown write key/, path: '/v1/t' },
      { name: 'no key', send: () => post(base, '/v1/track', JSON.stringify(track())), status: 401, reason: /missing write key/, path: '/v1/track' },
      { name: 'bad JSON', send: () => post(base, '/v1/batch?x=1', `{"writeKey":"${secretKey}", nope`, auth), status: 400, reason: /invalid JSON/, path: '/v1/batch', source: 'web' },
      { name: 'schema', send: () => post(base, '/v1/track', JSON.stringify({ event: 'E' }), auth), status: 400, reason: /user_id/, path: '/v1/track', source: 'web' },
      { name: 'no such endpoint', send: () => post(base, '/v1/alias', JSON.stringify(track()), auth), status: 404, reason: /POST to \/v1\/track/, path: '/v1/alias', source: 'web' },
      { name: 'declared too large', send: () => post(base, '/v1/batch', 'x'.repeat(600 * 1024), auth), status: 413, reason: /500 KB/, path: '/v1/batch', source: 'web' },
      { name: 'event too large', send: () => post(base, '/v1/track', JSON.stringify(track({ properties: { blob: 'b'.repeat(40 * 1024) } })), auth), status: 413, reason: /32 KB/, path: '/v1/track', source: 'web' },
      { name: 'decoded too large', send: () => post(base, '/v1/batch', gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)), { ...auth, 'content-encoding': 'gzip' }), status: 413, reason: /once decoded/, path: '/v1/batch', source: 'web' },
      { name: 'content type', send: () => post(base, '/v1/track', '<a/>', { ...auth, 'content-type': 'application/xml' }), status: 415, reason: /application\/json/, path: '/v1/track', source: 'web' },
      { name: 'invalid content type (Fastify)', send: () => post(base, '/v1/track', '{}', { ...auth, 'content-type': '???' }), status: 415, reason: /application\/json/, path: '/v1/track', source: 'web' },
      { name: 'encoding', send: () => post(base, '/v1/track', '{}', { ...auth, 'content-encoding': 'zstd' }), status: 415, reason: /gzip, deflate, br/, path: '/v1/track', source: 'web' },
    ];
    for (const k of cases) {
      const before = c.rejections.length;
      const res = await k.send();
      expect(res.status, k.name).toBe(k.status);
      const body = (await res.json()) as { success: boolean; error: string };
      expect(body.success, k.name).toBe(false);
      expect(c.rejections.length, k.name).toBe(before + 1);
      const r = c.rejections.at(-1)!;
      expect(r, k.name).toMatchObject({ status: k.status, path: k.path, ip: '127.0.0.1', reason: expect.stringMatching(k.reason) });
      expect(r.source, k.name).toBe(k.source);
      expect(r.reason).toBe(body.error);
    }
    const everything = JSON.stringify(c.rejections) + JSON.stringify(c.logger.lines);
    expect(everything).not.toContain('SECRET');
    expect(everything).not.toContain(KEY);
    // A warn line each for the first 10 in the window; the other 2 are summed up at its end.
    const lines = c.logger.lines.filter((l) => l.msg === 'ingest request rejected');
    expect(lines.length).toBe(10);
    expect(lines[0]!.obj).toMatchObject({ status: 401, path: '/v1/track', reason: expect.stringMatching(/unknown write key/) });
    expect(await metric(base, /signal_collector_rejected_requests_total\{status="415"\} (\d+)/)).toBe(3);
  });

  it('a malformed HTTP request and slow headers are answered, counted and told too', async () => {
    c = await startCollector({ protection: { headersTimeoutMs: 500 } });
    const bad = rawRequest(c.port, 'POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
    expect((await bad.response)?.status).toBe(400);
    const slow = rawRequest(c.port, 'POST /v1/track HTTP/1.1\r\nHost: x\r\n');
    expect((await slow.response)?.status).toBe(408);
    await slow.closed;
    expect(c.rejections.map((r) => r.status)).toEqual([400, 408]);
    expect(c.rejections[1]!.reason).toMatch(/headers did not arrive in time/);
  });
});

describe('rejection log rate limit', () => {
  it('logs the first lines of a window one by one, then one summary with the count by status', () => {
    const feed = new IngestFeed();
    const logger = captureLogger();
    const stop = logRejections(feed, logger, { linesPerWindow: 3, windowMs: 1_000 });
    const r = (at: number, status: number): RejectedRequest => ({ at, status, reason: 'x', path: '/v1/track', ip: '10.0.0.1' });
    for (let i = 0; i < 50; i++) feed.emit(r(10_000 + i, i % 2 === 0 ? 400 : 401));
    expect(logger.lines).toHaveLength(3);
    feed.emit(r(11_500, 413)); // next window: the summary first, then the line
    expect(logger.lines).toHaveLength(5);
    expect(logger.lines[3]!.obj).toEqual({ suppressed: 47, byStatus: { '400': 23, '401': 24 }, windowMs: 1_000 });
    expect(logger.lines[4]!.obj).toMatchObject({ status: 413 });
    stop();
  });
});

/** A real spool whose writes can be made to fail, as a full disk or an unavailable JetStream would. */
function failingSpool(spool: Spool, state: { fail: boolean; backlog?: number; backlogCalls: number }): Spool {
  let health: SpoolHealth = { writable: true };
  return new Proxy(spool, {
    get(target, prop, receiver) {
      if (prop === 'append') {
        return async (items: Parameters<Spool['append']>[0]) => {
          if (state.fail) {
            health = { writable: false, reason: 'database or disk is full', since: Date.now() };
            throw new SpoolError('cannot store events: database or disk is full');
          }
          const result = await target.append(items);
          health = { writable: true };
          return result;
        };
      }
      if (prop === 'health') return () => health;
      if (prop === 'backlog') {
        return async () => {
          state.backlogCalls++;
          return state.backlog ?? target.backlog();
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

describe('storage failure never yields a 200', () => {
  it('append failing → 503 with Retry-After, /readyz says why, metrics count it; ingest resumes with storage', async () => {
    const state = { fail: false, backlogCalls: 0 };
    c = await startCollector({ wrap: (s) => failingSpool(s, state) });
    const { base } = c;
    const auth = { authorization: basic(KEY) };
    expect((await post(base, '/v1/track', JSON.stringify(track()), auth)).status).toBe(200);
    state.fail = true;
    const lost = track();
    const res = await post(base, '/v1/track', JSON.stringify(lost), auth);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { error: string }).error).toMatch(/storage cannot take events right now \(cannot store events: database or disk is full\)/);
    const batch = await post(base, '/v1/batch', JSON.stringify({ batch: [{ type: 'track', ...track() }] }), auth);
    expect(batch.status).toBe(503);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, spool: 'not writable', storage: { reason: 'database or disk is full', since: expect.any(String) } });
    expect(await metric(base, /signal_collector_unavailable_total\{reason="storage"\} (\d+)/)).toBe(2);
    expect(await metric(base, /^signal_spool_writable (\d+)$/m)).toBe(0);
    expect(c.rejections.filter((r) => r.status === 503).map((r) => r.source)).toEqual(['web', 'web']);
    state.fail = false;
    expect((await post(base, '/v1/track', JSON.stringify(lost), auth)).status).toBe(200);
    expect((await c.spool.event(lost.messageId))?.event.message_id).toBe(lost.messageId);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await metric(base, /^signal_spool_writable (\d+)$/m)).toBe(1);
  });
});

describe('storage.max_backlog', () => {
  it('over the bound: 503 + Retry-After before the body is read; the count is cached, not queried per request', async () => {
    const state = { fail: false, backlog: 50, backlogCalls: 0 };
    c = await startCollector({ protection: { maxBacklog: 100 }, wrap: (s) => failingSpool(s, state) });
    const { base } = c;
    const auth = { authorization: basic(KEY) };
    // Each event makes 2 jobs (acme, webhook); the collector counts its own appends between refreshes.
    for (let i = 0; i < 25; i++) expect((await post(base, '/v1/track', JSON.stringify(track()), auth)).status).toBe(200);
    const refused = track();
    const res = await post(base, '/v1/track', JSON.stringify(refused), auth);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(((await res.json()) as { error: string }).error).toMatch(/storage\.max_backlog \(100\)/);
    expect(await c.spool.event(refused.messageId)).toBeUndefined();
    expect(state.backlogCalls).toBeLessThanOrEqual(2);
    expect(await metric(base, /signal_collector_unavailable_total\{reason="backlog"\} (\d+)/)).toBe(1);
    // Answered from the headers alone: a body that never comes does not hold the answer back.
    const head = rawRequest(c.port, `POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(KEY)}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`);
    expect((await head.response)?.status).toBe(503);
    await head.closed;
  });

  it('the default bound is ten million jobs', async () => {
    const { defaultProtection } = await import('../../src/collector/limits.js');
    expect(defaultProtection.maxBacklog).toBe(10_000_000);
  });
});

describe('the write key in the Authorization header is checked before the body is read', () => {
  it('a wrong key is a 401 while the body has not been sent; the connection closes', async () => {
    c = await startCollector({ protection: { bodyTimeoutMs: 60_000 } });
    const req = rawRequest(c.port, `POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('wrong-key-0000')}\r\nContent-Type: application/json\r\nContent-Length: 491520\r\n\r\n`);
    const res = await req.response;
    expect(res?.status).toBe(401);
    expect(res?.headers).toMatch(/connection: close/i);
    await req.closed;
    // The right key reads the body as usual.
    const event = track();
    const text = JSON.stringify(event);
    const ok = rawRequest(c.port, `POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(KEY)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n`);
    ok.socket.write(text);
    expect((await ok.response)?.status).toBe(200);
    ok.socket.destroy();
    expect((await c.spool.event(event.messageId))?.event.message_id).toBe(event.messageId);
  });
});

describe('body deadline and the in-flight body cap', () => {
  it('a body that does not arrive within server.body_timeout_ms is a 408 and the connection closes', async () => {
    c = await startCollector({ protection: { bodyTimeoutMs: 300 } });
    const req = rawRequest(c.port, `POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"event":`);
    const res = await req.response;
    expect(res?.status).toBe(408);
    expect(res?.body).toMatch(/did not arrive within 0.3 s/);
    await req.closed;
    expect(c.rejections.at(-1)).toMatchObject({ status: 408, path: '/v1/track' });
  });

  it('over the cap, slow uploads yield: a large fast body evicts them (503, Retry-After), small ones pass', async () => {
    c = await startCollector({ protection: { maxInflightBodyBytes: 1024 * 1024, bodyTimeoutMs: 60_000 } });
    const stalled = [];
    for (let i = 0; i < 4; i++) {
      const r = rawRequest(c.port, `POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 480000\r\n\r\n`);
      r.socket.write(Buffer.alloc(250_000, 0x20));
      stalled.push(r);
    }
    // Let them become slow ones (arriving for over a second).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const auth = { authorization: basic(KEY) };
    const big = { batch: Array.from({ length: 15 }, () => ({ type: 'track', ...track({ properties: { blob: 'b'.repeat(30 * 1024) } }) })) };
    const res = await post(c.base, '/v1/batch', JSON.stringify(big), auth);
    expect(res.status).toBe(200);
    expect((await c.spool.event(big.batch[14]!.messageId))?.event.message_id).toBe(big.batch[14]!.messageId);
    expect((await post(c.base, '/v1/track', JSON.stringify(track()), auth)).status).toBe(200);
    const evicted = (await Promise.all(stalled.slice(0, 2).map((s) => s.response))).filter((r) => r !== undefined);
    expect(evicted.length).toBeGreaterThan(0);
    for (const r of evicted) {
      expect(r.status).toBe(503);
      expect(r.headers).toMatch(/retry-after: 2/i);
    }
    for (const s of stalled) s.socket.destroy();
    expect(c.rejections.filter((r) => r.status === 503).length).toBeGreaterThan(0);
  });
});

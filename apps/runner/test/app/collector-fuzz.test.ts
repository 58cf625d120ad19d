import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { seededRandom, startFakeVendor, type FakeVendor } from '@signal/core/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { startRunner, type Runner } from '../../src/runner.js';
import { captureLogger } from './helpers/collector-server.js';
import { eventually } from './helpers/vendors.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// Issue #14: no input of any kind yields a 5xx. A seeded generator sends ≥ 5,000 bad requests
// (broken JSON, hostile shapes, limits, encodings, headers, raw malformed HTTP) to a real runner,
// with good traffic alongside; the fake vendor's recorded requests are the oracle for delivery.
const SEED = Number(process.env.FUZZ_SEED ?? 20_251_201);
const BAD = 5_200;
const KEY = 'fuzz-write-key-1';
const CONCURRENCY = 8;

/** Reproducible cases: the testkit's seeded PRNG, with the pickers the generators use. */
function prng(seed: number) {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  return { next, int, pick, bool: (p = 0.5) => next() < p };
}

type Rng = ReturnType<typeof prng>;

const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;
const weirdStrings = ['', ' ', '\u0000', '\r\n', '🚀', '\ud800', 'é'.repeat(300), 'constructor', '__proto__', 'toString', 'x'.repeat(5_000), '${ENV}', '<script>', '%00', '\\', '"'];
const weirdKeys = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', '', ' ', '\u0000', 'a.b', '🚀', '__defineGetter__', 'isPrototypeOf'];

function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 3 ? 6 : 9)) {
    case 0:
      return r.pick(weirdStrings);
    case 1:
      return r.pick([0, -0, 1.5, -1, 2 ** 53 + 1, Number.MAX_VALUE, 5e-324, 1e21]);
    case 2:
      return r.bool();
    case 3:
      return null;
    case 4:
      return `s-${r.int(1e6)}`;
    case 5:
      return r.int(1000);
    case 6:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.bool() ? r.pick(weirdKeys) : `k${r.int(100)}`, randomValue(r, depth + 1)]));
  }
}

const nested = (r: Rng, levels: number, leaf: string) => {
  let text = leaf;
  for (let i = 0; i < levels; i++) text = r.bool() ? `[${text}]` : `{"a":${text}}`;
  return text;
};

interface Case {
  kind: string;
  method?: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

let bombBytes: Buffer | undefined;
/** 8 MB of spaces in ~8 KB of gzip (made once). */
const bomb = () => (bombBytes ??= gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)));

const base = (r: Rng) => ({ type: 'track', event: 'Fuzz', userId: `u-${r.int(50)}`, messageId: `bad-${r.int(1e9)}`, properties: { n: r.int(10) } });
const jsonHeaders = (r: Rng): Record<string, string> => ({ 'content-type': r.bool(0.8) ? 'application/json' : 'text/plain', authorization: basic(KEY) });

/** One bad (or at least odd) request. Some mutations happen to be valid: those may be 200, never 5xx. */
function badCase(r: Rng): Case {
  const path = r.pick(['/v1/track', '/v1/batch', '/v1/identify', '/v1/page', '/v1/group', '/v1/t', '/v1/b']);
  const h = jsonHeaders(r);
  switch (r.int(16)) {
    case 0: {
      const bytes = Buffer.alloc(r.int(2_000) + 1);
      for (let i = 0; i < bytes.length; i++) bytes[i] = r.int(256);
      return { kind: 'random bytes', path, headers: h, body: bytes };
    }
    case 1: {
      const text = JSON.stringify(path.includes('b') ? { batch: [base(r), base(r)] } : base(r));
      return { kind: 'truncated JSON', path, headers: h, body: text.slice(0, r.int(text.length)) };
    }
    case 2: {
      const event: Record<string, unknown> = base(r);
      const keys = ['type', 'event', 'userId', 'anonymousId', 'messageId', 'timestamp', 'sentAt', 'properties', 'traits', 'context', 'name', 'groupId', 'writeKey', 'integrations'];
      for (let i = 0; i <= r.int(3); i++) {
        const key = r.pick(keys);
        if (r.bool(0.3)) delete event[key];
        else event[key] = randomValue(r);
      }
      return { kind: 'mutated event', path, headers: h, body: JSON.stringify(path.includes('b') ? { batch: [event] } : event) };
    }
    case 3: {
      const levels = r.pick([65, 66, 100, 1_000, 4_200, 5_000, 20_000]);
      return { kind: `nested ${levels}`, path, headers: h, body: `{"event":"E","userId":"u","properties":{"x":${nested(r, levels, '1')}}}` };
    }
    case 4: {
      const bad = r.pick([`{"__proto__":{"x":1}}`, `{"constructor":{"prototype":{"x":1}}}`, `{"a":[{"__proto__":null}]}`]);
      const text = `{"event":"E","userId":"u","${r.pick(['properties', 'traits', 'context'])}":${bad}}`;
      return { kind: 'prototype key', path: '/v1/track', headers: h, body: r.bool() ? text : `{"batch":[${text.replace('{', '{"type":"track",')}]}` };
    }
    case 5: {
      const num = r.pick(['1e400', '-1e999', '1'.repeat(400), '1e308', '-0', '0.' + '0'.repeat(400) + '1', '1E+500']);
      return { kind: 'huge number', path: '/v1/track', headers: h, body: `{"event":"E","userId":"u","properties":{"v":${num}}}` };
    }
    case 6: {
      const raw = Buffer.from(JSON.stringify(base(r)));
      const variant = r.int(7);
      if (variant === 0) return { kind: 'gzip garbage', path, headers: { ...h, 'content-encoding': 'gzip' }, body: Buffer.from('not gzip at all') };
      if (variant === 1) return { kind: 'gzip of bad JSON', path, headers: { ...h, 'content-encoding': 'gzip' }, body: gzipSync(Buffer.from('{"event":')) };
      if (variant === 2) return { kind: 'small gzip bomb', path, headers: { ...h, 'content-encoding': 'gzip' }, body: bomb() };
      if (variant === 3) return { kind: 'unsupported encoding', path, headers: { ...h, 'content-encoding': r.pick(['zstd', 'compress', 'gzip, gzip', 'identity, br', 'GZIP;q=1', '\t']) }, body: raw };
      if (variant === 4) return { kind: 'deflate truncated', path, headers: { ...h, 'content-encoding': 'deflate' }, body: deflateSync(raw).subarray(0, 5) };
      if (variant === 5) return { kind: 'raw deflate', path: '/v1/track', headers: { ...h, 'content-encoding': 'deflate' }, body: deflateRawSync(raw) };
      return { kind: 'br mislabelled', path, headers: { ...h, 'content-encoding': 'gzip' }, body: brotliCompressSync(raw) };
    }
    case 7:
      return { kind: 'content type', path, headers: { ...h, 'content-type': r.pick(['application/xml', 'multipart/form-data', 'text/html', 'application/json; charset=utf-16', 'application/jsonx', 'x', '*/*', 'application/json;;;']) }, body: JSON.stringify(base(r)) };
    case 8: {
      const variant = r.int(3);
      if (variant === 0) return { kind: 'event over 32 KB', path: '/v1/track', headers: h, body: JSON.stringify({ ...base(r), properties: { blob: 'x'.repeat(33 * 1024) } }) };
      if (variant === 1) return { kind: 'too many events', path: '/v1/batch', headers: h, body: JSON.stringify({ batch: Array.from({ length: 2_501 }, () => ({ type: 'track', event: 'E', userId: 'u' })) }) };
      return { kind: 'batch over 500 KB', path: '/v1/batch', headers: h, body: JSON.stringify({ batch: Array.from({ length: 20 }, () => ({ ...base(r), properties: { blob: 'y'.repeat(30 * 1024) } })) }) };
    }
    case 9: {
      const auth = r.pick(['Basic', 'Basic ', 'Basic ::::', 'Basic !!!notbase64', basic('wrong-key-123'), 'Bearer x', basic(''), `Basic ${Buffer.from('\u0000:').toString('base64')}`]);
      const body = r.bool() ? { ...base(r), writeKey: r.pick([123, null, {}, '', 'nope-nope-nope', ['x']]) } : base(r);
      return { kind: 'bad credentials', path, headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify(body) };
    }
    case 10: {
      const variant = r.int(4);
      if (variant === 0) return { kind: 'unknown path', path: r.pick(['/v1/alias', '/v1/', '/v1/track/x', '/v1/%zz', '/v1/..%2f..', '/v1/track?writeKey=x&x=%']), headers: h, body: JSON.stringify(base(r)) };
      if (variant === 1) {
        const method = r.pick(['GET', 'PUT', 'DELETE', 'PATCH']);
        return { kind: 'method', method, path, headers: h, ...(method !== 'GET' && r.bool() ? { body: '{}' } : {}) };
      }
      if (variant === 2) return { kind: 'batch shape', path: '/v1/batch', headers: h, body: JSON.stringify({ batch: randomValue(r) }) };
      return { kind: 'type mismatch', path: '/v1/page', headers: h, body: JSON.stringify({ ...base(r), type: r.pick(['track', 'alias', 42, 'x'.repeat(1000)]) }) };
    }
    case 11: {
      const s = r.pick(['"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\u0085\u2028\u2029"', '"\\uFFFF"']);
      return { kind: 'unicode', path: '/v1/track', headers: h, body: `{"event":${s},"userId":${s},"messageId":${s},"properties":{${s}:${s}}}` };
    }
    case 12: {
      const e = base(r) as Record<string, unknown>;
      e[r.pick(['timestamp', 'sentAt', 'originalTimestamp'])] = r.pick(['yesterday', '2025-13-45T99:99:99Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 1e12, '+275760-09-13T00:00:00.000Z', '']);
      if (r.bool()) e['sentAt'] = r.pick(['1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z']);
      if (r.bool()) e['messageId'] = r.pick(['m'.repeat(201), 42, { id: 1 }, '']);
      return { kind: 'times and ids', path: '/v1/track', headers: h, body: JSON.stringify(e) };
    }
    case 13:
      return { kind: 'empty', path, headers: h, body: r.pick(['', ' ', '\ufeff', 'null', '[]', '"x"', '0', 'true', '{}']) };
    case 14: {
      const e = base(r) as Record<string, unknown>;
      e[r.pick(['context', 'properties', 'traits'])] = r.pick(['x', 1, [1, 2], null, true]);
      if (r.bool()) e['context'] = { consent: r.pick([{ categories: 'x' }, { categoryPreferences: [1] }, { categories: [1, null] }]), ip: r.pick([1, {}, 'x']) };
      return { kind: 'field types', path, headers: h, body: JSON.stringify(path.includes('b') ? { batch: [e] } : e) };
    }
    default:
      return { kind: 'camelCase clash', path: '/v1/identify', headers: h, body: JSON.stringify({ user_id: 1, userId: { a: 1 }, anonymousId: [], traits: Object.fromEntries(weirdKeys.filter((k) => k !== '__proto__').map((k) => [k, randomValue(r)])) }) };
  }
}

/** Malformed HTTP that fetch cannot send: raw TCP. Resolves with the status line's code, or 0 if the server just closed. */
function rawCase(r: Rng, port: number): Promise<number> {
  const requests = [
    'GARBAGE\r\n\r\n',
    'POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
    'POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
    'POST /v1/track HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n',
    `POST /v1/track HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    'POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \u00ff\u00fe\r\nContent-Length: 2\r\n\r\n{}',
    'POST /v1/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n',
    `POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"bat\r\n0\r\n\r\n`,
    'POST /v1/track HTTP/1.0\r\nContent-Type: text/plain\r\n\r\n{"writeKey":"x"}',
  ];
  const text = r.pick(requests);
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.setTimeout(5_000, () => socket.destroy());
    socket.end(text, 'latin1');
  });
}

let vendor: FakeVendor;
let runner: Runner;
let dir: string;
const logger = captureLogger();

beforeAll(async () => {
  vendor = await startFakeVendor(() => ({ status: 200, body: { ok: true } }));
  dir = mkdtempSync(join(tmpdir(), 'signal-fuzz-'));
  linkWorkspacePlugins(dir);
  const text = `server: { port: 0, host: 127.0.0.1, body_timeout_ms: 5000 }
storage: { driver: sqlite, path: ${JSON.stringify(join(dir, 'signal.db'))} }
http: { host_overrides: { hooks.example.com: ${vendor.url} } }
sources: [ { id: web, write_key: ${KEY} } ]
integrations:
  - { id: webhook, plugin: "@signal/webhook", settings: { url: "https://hooks.example.com/in" } }
pipelines: [ { id: main, sources: [web], integrations: [webhook] } ]
`;
  runner = await startRunner(await loadConfigText(text, { file: 'fuzz.yaml', dir, env: {} }), { logger, engine: { lingerMs: 20, pollIntervalMs: 50 } });
});
afterAll(async () => {
  await runner?.stop();
  await vendor?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fuzz: no input yields a 5xx', () => {
  it(`${BAD} generated bad requests (seed ${SEED}) with good traffic alongside: no 5xx, no crash, every good event delivered`, async () => {
    const good: string[] = [];
    const fivexx: string[] = [];
    const clientErrors: string[] = [];
    let goodSeq = 0;

    const goodCase = (r: Rng): Case & { ids: string[] } => {
      const one = () => {
        const event: Record<string, unknown> = { type: 'track', event: r.pick(['Order Completed', 'Product Viewed', 'Signed Up']), userId: `g-${r.int(40)}`, messageId: `good-${SEED}-${++goodSeq}`, properties: { n: r.int(100), label: r.pick(['a', 'é', '🚀', 'x y']) } };
        if (r.bool(0.3)) event['sentAt'] = new Date().toISOString();
        if (r.bool(0.3)) event['timestamp'] = new Date(Date.now() - r.int(60_000)).toISOString();
        return event;
      };
      const batch = r.bool(0.4);
      const events = batch ? Array.from({ length: 1 + r.int(20) }, one) : [one()];
      // Browsers' sendBeacon: text/plain with the key in the body; SDKs: JSON with HTTP Basic.
      const beacon = r.bool(0.2);
      const payload = { ...(batch ? { batch: events } : events[0]), ...(beacon ? { writeKey: KEY } : {}) };
      const encoding = r.pick(['identity', 'identity', 'gzip', 'deflate']);
      const text = JSON.stringify(payload);
      return {
        kind: 'good',
        path: batch ? '/v1/batch' : '/v1/track',
        headers: { 'content-type': beacon ? 'text/plain' : 'application/json', ...(beacon ? {} : { authorization: basic(KEY) }), ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }) },
        body: encoding === 'gzip' ? gzipSync(text) : encoding === 'deflate' ? deflateSync(text) : text,
        ids: events.map((e) => e['messageId'] as string),
      };
    };

    const send = async (c: Case): Promise<number | undefined> => {
      try {
        const res = await fetch(`${runner.url}${c.path}`, { method: c.method ?? 'POST', headers: c.headers, ...(c.body === undefined ? {} : { body: c.body }) });
        await res.arrayBuffer();
        return res.status;
      } catch (error) {
        // A large body refused before it was all sent may see the connection close instead of the answer.
        const size = c.body === undefined ? 0 : Buffer.byteLength(c.body);
        if (size > 64 * 1024) return undefined;
        clientErrors.push(`${c.kind}: ${(error as Error).message} ${(error as { cause?: Error }).cause?.message ?? ''}`);
        return undefined;
      }
    };

    // One generator per worker, so a seed replays the same requests whatever the interleaving.
    const worker = async (index: number) => {
      const r = prng(SEED * 31 + index);
      for (let n = 0; n < Math.ceil(BAD / CONCURRENCY); n++) {
        if (r.bool(0.03)) {
          const status = await rawCase(r, runner.port);
          if (status >= 500) fivexx.push(`raw: ${status}`);
        } else {
          const c = badCase(r);
          const status = await send(c);
          if (status !== undefined && status >= 500) fivexx.push(`${c.kind} ${c.path}: ${status}`);
        }
        if (r.bool(0.1)) {
          const g = goodCase(r);
          const status = await send(g);
          expect(status, `good request (${g.path}, ${JSON.stringify(g.headers)})`).toBe(200);
          good.push(...g.ids);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => worker(i)));

    expect(fivexx, `seed ${SEED}`).toEqual([]);
    expect(clientErrors, `seed ${SEED}`).toEqual([]);
    expect(good.length).toBeGreaterThan(300);
    // No crash: the same runner still answers, and logged no unexpected error.
    expect((await fetch(`${runner.url}/healthz`)).status).toBe(200);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    await eventually(
      async () => {
        const got = new Set(vendor.requests.map((q) => q.json<{ message_id?: string }>().message_id));
        return good.every((id) => got.has(id)) ? true : undefined;
      },
      'every good event delivered',
      60_000,
    );
  }, 300_000);
});

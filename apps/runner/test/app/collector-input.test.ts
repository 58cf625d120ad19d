import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, KEY, nextId, startCollector, track, type TestCollector } from './helpers/collector-server.js';

// Encodings, content types, input limits and sentAt, over real HTTP; the oracle is the spool's stored event.
let c: TestCollector;

beforeAll(async () => {
  c = await startCollector();
});
afterAll(async () => {
  await c.close();
});

const send = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${c.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(KEY), ...headers }, body });
const json = async (res: Response) => (await res.json()) as { success: boolean; error?: string; issues?: { path: string; message: string }[] };
const stored = async (id: string) => (await c.spool.event(id))?.event;

describe('Content-Encoding', () => {
  const cases: [encoding: string, label: string, compress: (b: Buffer) => Buffer][] = [
    ['gzip', 'gzip', gzipSync],
    ['x-gzip', 'gzip', gzipSync],
    ['deflate', 'zlib', deflateSync],
    ['deflate', 'raw deflate', deflateRawSync],
    ['br', 'brotli', brotliCompressSync],
  ];
  for (const [encoding, label, compress] of cases) {
    it(`accepts Content-Encoding: ${encoding} (${label}) for single events and batches, JSON and text/plain`, async () => {
      const one = track();
      expect((await send('/v1/track', compress(Buffer.from(JSON.stringify(one))), { 'content-encoding': encoding })).status).toBe(200);
      const items = [{ type: 'track', ...track() }, { type: 'identify', userId: 'u2', messageId: nextId(), traits: { email: 'a@b.c' } }];
      const beacon = { batch: items, writeKey: KEY };
      const res = await fetch(`${c.base}/v1/batch`, { method: 'POST', headers: { 'content-type': 'text/plain', 'content-encoding': encoding }, body: compress(Buffer.from(JSON.stringify(beacon))) });
      expect(res.status).toBe(200);
      expect(await stored(one.messageId)).toMatchObject({ event: 'Order Completed', user_id: 'u1', properties: { revenue: 10 } });
      expect(await stored(items[1]!.messageId)).toMatchObject({ type: 'identify', traits: { email: 'a@b.c' } });
    });
  }

  it('applies the 500 KB limit to the decoded body: a zip bomb is a 413 and nothing is stored', async () => {
    // 64 MB of digits in ~64 KB of gzip.
    const bomb = gzipSync(Buffer.concat([Buffer.from(`{"batch":[{"type":"track","event":"E","userId":"u","messageId":"bomb-1","properties":{"x":"`), Buffer.alloc(64 * 1024 * 1024, 0x30), Buffer.from('"}}]}')]), { level: 9 });
    expect(bomb.length).toBeLessThan(500 * 1024);
    const res = await send('/v1/batch', bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect((await json(res)).error).toMatch(/500 KB once decoded/);
    expect(await stored('bomb-1')).toBeUndefined();
    // Just over the limit once decoded, small when encoded: also 413.
    const over = gzipSync(Buffer.from(JSON.stringify({ batch: [{ type: 'track', ...track({ properties: { blob: 'z'.repeat(510 * 1024) } }) }] })));
    expect((await send('/v1/batch', over, { 'content-encoding': 'gzip' })).status).toBe(413);
    const brBomb = brotliCompressSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect((await send('/v1/batch', brBomb, { 'content-encoding': 'br' })).status).toBe(413);
    // The server is fine afterwards.
    expect((await send('/v1/track', JSON.stringify(track()))).status).toBe(200);
  });

  it('an unsupported encoding is a 415 naming the supported ones; corrupt data is a 400', async () => {
    for (const encoding of ['compress', 'zstd', 'gzip, br', 'snappy']) {
      const res = await send('/v1/track', JSON.stringify(track()), { 'content-encoding': encoding });
      expect(res.status).toBe(415);
      const { error } = await json(res);
      expect(error).toContain('gzip, deflate, br');
    }
    const corrupt = await send('/v1/track', Buffer.from('definitely not gzip'), { 'content-encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    expect((await json(corrupt)).error).toMatch(/not valid gzip data/);
    const truncated = gzipSync(Buffer.from(JSON.stringify(track()))).subarray(0, 20);
    expect((await send('/v1/track', truncated, { 'content-encoding': 'gzip' })).status).toBe(400);
  });

  it('an unsupported content type is a 415 naming what is supported', async () => {
    for (const type of ['multipart/form-data; boundary=x', 'application/xml', 'nonsense']) {
      const res = await send('/v1/track', JSON.stringify(track()), { 'content-type': type });
      expect(res.status, type).toBe(415);
      expect((await json(res)).error).toMatch(/application\/json.*text\/plain/);
    }
    // charset parameters are fine
    expect((await send('/v1/track', JSON.stringify(track()), { 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
  });

  it('JSON labelled application/x-www-form-urlencoded (RudderStack Node SDK, gzipped) is read as JSON; form fields are a 400', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await send('/v1/track', gzipSync(Buffer.from(JSON.stringify(track()))), { ...form, 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await send('/v1/track', JSON.stringify(track()), form)).status).toBe(200);
    const fields = await send('/v1/track', 'event=Order+Completed&userId=u1', form);
    expect(fields.status).toBe(400);
  });
});

describe('input limits', () => {
  const nested = (levels: number) => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };

  it('64 levels per event are accepted; 65 are a 400 naming the path (alone or in a batch)', async () => {
    // The event is level 1 and properties (the outermost nested object) level 2: 63 objects reach level 64.
    const ok = track({ properties: nested(63) });
    expect((await send('/v1/track', JSON.stringify(ok))).status).toBe(200);
    expect((await send('/v1/batch', JSON.stringify({ batch: [{ type: 'track', ...track({ properties: nested(63) }) }] }))).status).toBe(200);
    const deep = track({ properties: nested(64) });
    const res = await send('/v1/track', JSON.stringify(deep));
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toMatch(/nested more than 64 levels/);
    expect(body.issues?.[0]?.path).toMatch(/^properties(\.a)+$/);
    const inBatch = await send('/v1/batch', JSON.stringify({ batch: [{ type: 'track', ...track() }, { type: 'track', ...track({ properties: nested(64) }) }] }));
    expect(inBatch.status).toBe(400);
    expect((await json(inBatch)).issues?.[0]?.path).toMatch(/^batch\.1\.properties(\.a)+$/);
    expect(await stored(deep.messageId)).toBeUndefined();
  });

  it('JSON nested thousands of levels is a 400, never a 5xx (JSON and text/plain)', async () => {
    for (const levels of [4_200, 10_000, 80_000]) {
      const arrays = `{"event":"E","userId":"u","properties":{"x":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
      const objects = `{"event":"E","userId":"u","properties":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}`;
      for (const body of [arrays, objects]) {
        for (const type of ['application/json', 'text/plain']) {
          const res = await send('/v1/track', body, { 'content-type': type });
          expect(res.status, `${levels} levels as ${type}`).toBe(400);
          expect((await json(res)).error).toMatch(/nested more than 64 levels/);
        }
      }
    }
  });

  it('a non-finite number (1e400) is a 400 with its path, not a silent null', async () => {
    const res = await send('/v1/track', `{"event":"E","userId":"u","messageId":"inf-1","properties":{"price":1e400}}`);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.issues).toEqual([{ path: 'properties.price', message: expect.stringMatching(/too large to represent/) }]);
    const batch = await send('/v1/batch', `{"batch":[{"type":"track","event":"E","userId":"u","messageId":"inf-2"},{"type":"identify","userId":"u","messageId":"inf-3","traits":{"n":[1,-1e999]}}]}`);
    expect(batch.status).toBe(400);
    expect((await json(batch)).issues?.[0]?.path).toBe('batch.1.traits.n.1');
    for (const id of ['inf-1', 'inf-2', 'inf-3']) expect(await stored(id)).toBeUndefined();
  });

  it('__proto__ and constructor.prototype keys get the same accurate 400 for JSON and text/plain', async () => {
    const bodies = [
      [`{"event":"E","userId":"u","properties":{"__proto__":{"admin":true}}}`, 'properties.__proto__', /"__proto__" is not allowed/],
      [`{"event":"E","userId":"u","properties":{"constructor":{"prototype":{"admin":true}}}}`, 'properties.constructor.prototype', /"constructor" object with a "prototype" key/],
      [`{"event":"E","userId":"u","__proto__":{"type":"identify"}}`, '__proto__', /"__proto__" is not allowed/],
    ] as const;
    for (const [text, path, message] of bodies) {
      for (const type of ['application/json', 'text/plain']) {
        const res = await send('/v1/track', text, { 'content-type': type });
        expect(res.status, `${type} ${text}`).toBe(400);
        const body = await json(res);
        expect(body.error).not.toMatch(/not valid JSON/i);
        expect(body.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
      }
    }
    // Prototype member names that change nothing are just names.
    const names = track({ properties: { constructor: 'c', toString: 't', valueOf: 1, hasOwnProperty: true, prototype: 'p' } });
    expect((await send('/v1/track', JSON.stringify(names), { 'content-type': 'text/plain' })).status).toBe(200);
    expect((await stored(names.messageId))?.properties).toEqual({ constructor: 'c', toString: 't', valueOf: 1, hasOwnProperty: true, prototype: 'p' });
  });

  it(`message_id: up to 200 characters; longer is a 400 with the path`, async () => {
    const ok = track({ messageId: `id-${'x'.repeat(197)}` });
    expect((await send('/v1/track', JSON.stringify(ok))).status).toBe(200);
    const long = track({ messageId: 'y'.repeat(201) });
    const res = await send('/v1/track', JSON.stringify(long));
    expect(res.status).toBe(400);
    expect((await json(res)).issues).toEqual([{ path: 'message_id', message: 'must be at most 200 characters' }]);
    const batch = await send('/v1/batch', JSON.stringify({ batch: [{ type: 'track', ...track() }, { type: 'track', ...track({ messageId: 'z'.repeat(500) }) }] }));
    expect((await json(batch)).issues?.map((i) => i.path)).toEqual(['batch.1.message_id']);
  });

  it('ids with CR, LF, NUL or emoji are accepted and stored exactly (vendor headers encode them)', async () => {
    for (const id of [`cr\rlf\n-${nextId()}`, `nul\u0000-${nextId()}`, `emoji-🚀-${nextId()}`]) {
      expect((await send('/v1/track', JSON.stringify(track({ messageId: id })))).status).toBe(200);
      expect((await stored(id))?.message_id).toBe(id);
    }
  });

  it('bad JSON is a 400 that never quotes the body (it may hold the write key)', async () => {
    const secret = 'sk-live-SECRET-WRITE-KEY-123';
    for (const text of [`{"writeKey":"${secret}", x}`, `${secret}`, `{"writeKey":"${secret}"`, '', '   ']) {
      const res = await send('/v1/track', text, { 'content-type': 'text/plain' });
      expect(res.status).toBe(400);
      const { error } = await json(res);
      expect(error).toMatch(/invalid JSON|empty/);
      expect(error).not.toContain('SECRET');
    }
  });
});

describe('sentAt: clock-skew correction (Segment: timestamp = receivedAt − (sentAt − timestamp))', () => {
  const hour = 3_600_000;
  const near = (iso: string | undefined, expected: number, slackMs = 5_000) => {
    expect(iso).toBeDefined();
    expect(Math.abs(Date.parse(iso!) - expected)).toBeLessThan(slackMs);
  };

  it('a client an hour ahead has its events stored at the real time, the original kept', async () => {
    const happened = Date.now() - 60_000; // a minute ago, by a true clock
    const clientTimestamp = new Date(happened + hour).toISOString();
    const event = track({ timestamp: clientTimestamp, sentAt: new Date(Date.now() + hour).toISOString() });
    expect((await send('/v1/track', JSON.stringify(event))).status).toBe(200);
    const got = await stored(event.messageId);
    near(got?.timestamp, happened);
    expect(got?.original_timestamp).toBe(clientTimestamp);
  });

  it('a batch with sentAt at its root (analytics-node, Python) corrects every event; an event’s own sentAt wins', async () => {
    const skew = -2 * hour; // client two hours behind
    const a = { type: 'track', ...track({ timestamp: new Date(Date.now() - 5_000 + skew).toISOString() }) };
    const b = { type: 'track', ...track({ timestamp: new Date(Date.now() - 10_000 + skew).toISOString(), sentAt: new Date(Date.now() + skew - hour).toISOString() }) };
    const res = await send('/v1/batch', JSON.stringify({ batch: [a, b], sentAt: new Date(Date.now() + skew).toISOString() }));
    expect(res.status).toBe(200);
    near((await stored(a.messageId))?.timestamp, Date.now() - 5_000);
    near((await stored(b.messageId))?.timestamp, Date.now() - 10_000 + hour);
  });

  it('without sentAt, or with an invalid one, the timestamp is kept as sent; without a timestamp it is the receive time', async () => {
    const ts = '2024-03-01T10:00:00.000Z';
    const plain = track({ timestamp: ts });
    const bad = track({ timestamp: ts, sentAt: 'yesterday' });
    const none = track({ sentAt: new Date(Date.now() + hour).toISOString() });
    for (const e of [plain, bad, none]) expect((await send('/v1/track', JSON.stringify(e))).status).toBe(200);
    expect(await stored(plain.messageId)).toMatchObject({ timestamp: ts });
    expect((await stored(plain.messageId))?.original_timestamp).toBeUndefined();
    expect((await stored(bad.messageId))?.timestamp).toBe(ts);
    const got = await stored(none.messageId);
    expect(got?.timestamp).toBe(got?.received_at);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteSpool } from '../../src/spool/sqlite.js';
import { makeEvent } from '../spool/contract.js';
import { SECRET, eventually, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const stateOf = async (messageId: string) => (await h!.spool.event(messageId))!.deliveries[0]!;
const ok = { status: 200, body: {} };

describe('delivery engine', () => {
  it('batches within the plugin limits, stays under its concurrency, and delivers everything once', async () => {
    h = await startHarness({ handler: async () => (await new Promise((r) => setTimeout(r, 15)), ok) });
    const events = Array.from({ length: 10 }, (_, i) => makeEvent(`user-${i}`));
    await h.append(events);
    h.engine.start();
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(10));
    const batches = h.batches();
    expect(batches.map((b) => b.length).sort()).toEqual([1, 3, 3, 3]);
    expect(batches.flat().sort()).toEqual(events.map((e) => e.message_id).sort());
    expect(Math.max(...h.vendor.requests.map((r) => r.concurrent))).toBeLessThan(2);
    // The vendor got the real key; the delivery log and the attempt events never hold it.
    expect(h.vendor.requests[0]!.headers['authorization']).toBe(`Bearer ${SECRET}`);
    const detail = await h.spool.event(events[0]!.message_id);
    const attempt = detail!.deliveries[0]!.history[0]!;
    expect(attempt.payload).toMatchObject({ id: events[0]!.message_id, user: 'user-0', name: 'Order Completed' });
    expect(attempt.exchange!.response!.status).toBe(200);
    expect(JSON.stringify(detail)).not.toContain(SECRET);
    expect(JSON.stringify(h.attempts)).not.toContain(SECRET);
    expect(h.attempts.filter((a) => a.state === 'delivered')).toHaveLength(10);
  });

  it('stores each record as built, with the secrets and URL credentials an event carried into it masked', async () => {
    h = await startHarness();
    const clean = makeEvent('user-1', { properties: { sku: 'p-1', quote: 'say "hi"' } });
    const leaky = makeEvent('user-2', { properties: { echo: `key ${SECRET}`, link: 'https://u:pw@shop.example/x?token=t0k' } });
    await h.append([clean, leaky]);
    h.engine.start();
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(2));
    const payloadOf = async (id: string) => (await h!.spool.event(id))!.deliveries[0]!.history[0]!.payload;
    expect(await payloadOf(clean.message_id)).toEqual({ id: clean.message_id, user: 'user-1', name: 'Order Completed', props: { sku: 'p-1', quote: 'say "hi"' } });
    expect(await payloadOf(leaky.message_id)).toEqual({
      id: leaky.message_id,
      user: 'user-2',
      name: 'Order Completed',
      props: { echo: 'key [REDACTED]', link: 'https://u:[REDACTED]@shop.example/x?token=[REDACTED]' },
    });
    // The vendor still got what the plugin built.
    expect(JSON.stringify(h.vendor.requests.map((r) => r.body))).toContain(SECRET);
  });

  it('linger: a partial batch waits for more events instead of leaving alone', async () => {
    h = await startHarness({ lingerMs: 1_000, settings: { batch: 4 } });
    h.engine.start();
    const events = Array.from({ length: 4 }, (_, i) => makeEvent(`user-${i}`));
    await h.append(events.slice(0, 1));
    await new Promise((r) => setTimeout(r, 30));
    await h.append(events.slice(1));
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(4));
    expect(h.batches().map((b) => b.length)).toEqual([4]);
  });

  it('per-record results: one rejected record does not fail its batch; prepare-time rejections and drops finish without a request', async () => {
    h = await startHarness({
      handler: () => ({ status: 200, body: { results: [{ ok: true }, { ok: false, error: 'bad event name' }, { ok: true }] } }),
    });
    const [a, b, c] = [makeEvent('u1'), makeEvent('u2'), makeEvent('u3')];
    const invalid = makeEvent('u4', { properties: { invalid: true } });
    const ignored = makeEvent('u5', { event: 'Ignored Event' });
    await h.append([a, b, c, invalid, ignored].map((e) => e!));
    h.engine.start();
    await eventually(async () => expect((await h!.spool.stats())[0]!.depth).toBe(0));
    expect(h.vendor.requests).toHaveLength(1);
    expect((await stateOf(a!.message_id)).state).toBe('delivered');
    const rejected = await stateOf(b!.message_id);
    expect(rejected.state).toBe('rejected');
    expect(rejected.lastResult).toEqual({ status: 'rejected', code: 'vendor_rejected', message: 'bad event name' });
    expect((await stateOf(c!.message_id)).state).toBe('delivered');
    const inv = await stateOf(invalid.message_id);
    expect(inv.state).toBe('rejected');
    expect(inv.lastResult).toMatchObject({ code: 'invalid_property' });
    expect((await stateOf(ignored.message_id)).state).toBe('dropped');
    expect((await h.spool.deliveries({ state: 'failed' })).map((d) => d.messageId).sort()).toEqual([b!.message_id, invalid.message_id].sort());
  });

  it('500 then success: retried at the stored backoff time, then delivered', async () => {
    h = await startHarness({ handler: (_r, i) => (i === 0 ? { status: 500, body: 'boom' } : ok) });
    const e = makeEvent('u1');
    await h.append([e]);
    const t0 = h.clock.now();
    h.engine.start();
    const retrying = await eventually(async () => {
      const d = await stateOf(e.message_id);
      expect(d.state).toBe('retry');
      return d;
    });
    // Full jitter with random() = 0.5 and base 1 s: half of 1 s.
    expect(retrying.retryAt).toBe(t0 + 500);
    expect(h.vendor.requests).toHaveLength(1);
    h.clock.advance(500);
    h.engine.wake();
    await eventually(async () => expect((await stateOf(e.message_id)).state).toBe('delivered'));
    const d = await stateOf(e.message_id);
    expect(d.attempts).toBe(2);
    expect(d.history.map((a) => a.result.status)).toEqual(['retry', 'delivered']);
    expect(d.history[0]!.exchange!.response!.status).toBe(500);
  });

  it('429 with Retry-After: the stored retry time honours the floor', async () => {
    h = await startHarness({ handler: () => ({ status: 429, headers: { 'retry-after': '30' } }) });
    const e = makeEvent('u1');
    await h.append([e]);
    const t0 = h.clock.now();
    h.engine.start();
    const d = await eventually(async () => {
      const x = await stateOf(e.message_id);
      expect(x.state).toBe('retry');
      return x;
    });
    expect(d.retryAt).toBe(t0 + 30_000);
    expect(d.lastResult).toEqual({ status: 'retry', reason: 'HTTP 429', retryAfterMs: 30_000 });
  });

  it('a timeout is retried', async () => {
    h = await startHarness({ timeoutMs: 200, handler: (_r, i) => (i === 0 ? { fault: 'timeout' } : ok) });
    const e = makeEvent('u1');
    await h.append([e]);
    h.engine.start();
    await eventually(async () => expect((await stateOf(e.message_id)).state).toBe('retry'));
    expect((await stateOf(e.message_id)).lastResult).toMatchObject({ status: 'retry', reason: expect.stringContaining('no response') });
    h.clock.advance(10_000);
    h.engine.wake();
    await eventually(async () => expect((await stateOf(e.message_id)).state).toBe('delivered'));
    expect(h.vendor.requests).toHaveLength(2);
  });

  it('dead-letters after max_attempts; replay makes the job deliverable again', async () => {
    let healthy = false;
    h = await startHarness({ handler: () => (healthy ? ok : { status: 503 }) });
    const e = makeEvent('u1');
    await h.append([e]);
    h.engine.start();
    for (let attempt = 1; attempt < 3; attempt++) {
      await eventually(async () => expect((await stateOf(e.message_id)).attempts).toBe(attempt));
      h.clock.advance(10_000);
      h.engine.wake();
    }
    const dead = await eventually(async () => {
      const list = await h!.spool.deliveries({ state: 'dead' });
      expect(list).toHaveLength(1);
      return list[0]!;
    });
    expect(dead.messageId).toBe(e.message_id);
    expect(dead.attempts).toBe(3);
    expect(dead.lastResult).toMatchObject({ status: 'retry', reason: expect.stringContaining('gave up after 3 attempts') });
    expect(h.vendor.requests).toHaveLength(3);
    healthy = true;
    expect(await h.spool.replay({ integration: 'test' })).toBe(1);
    h.engine.wake();
    await eventually(async () => expect((await stateOf(e.message_id)).state).toBe('delivered'));
    expect(h.vendor.requests).toHaveLength(4);
  });

  it('the retry time survives closing and reopening the spool', async () => {
    h = await startHarness({ handler: () => ({ status: 503, headers: { 'retry-after': '120' } }) });
    const e = makeEvent('u1');
    await h.append([e]);
    const t0 = h.clock.now();
    h.engine.start();
    await eventually(async () => expect((await stateOf(e.message_id)).state).toBe('retry'));
    await h.engine.stop();
    await h.spool.close();
    const reopened = openSqliteSpool({ path: h.path, now: h.clock.now });
    try {
      const [entry] = await reopened.deliveries({ integration: 'test' });
      expect(entry!.retryAt).toBe(t0 + 120_000);
      expect(await reopened.claim('test', { limit: 10, now: t0 + 119_999, leaseMs: 1_000 })).toEqual([]);
      const jobs = await reopened.claim('test', { limit: 10, now: t0 + 120_000, leaseMs: 1_000 });
      expect(jobs.map((j) => j.messageId)).toEqual([e.message_id]);
      expect(jobs[0]!.attempts).toBe(1);
    } finally {
      await reopened.close();
    }
  });
});

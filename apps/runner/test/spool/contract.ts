import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Exchange, SignalEvent } from '@signal/core';
import type { Job, Spool } from '../../src/spool/types.js';

/**
 * The spool contract, driver-agnostic (no SQL, only the Spool interface), in the
 * style of unstorage's testDriver: each driver's test file calls it in a few lines.
 *
 * Times: claims pass `now` explicitly. A driver that can honour a `now` in the
 * future (time travel: retry times, lease expiry) runs everything; a driver on
 * wall-clock time (e.g. JetStream nak delays) passes `{ timeTravel: false }`
 * and the tests that need it are skipped.
 */
export interface SpoolContractOptions {
  /** Reopens the same store (after the test closed the spool): restart durability tests. */
  reopen?: () => Promise<Spool>;
  /** The driver honours `ClaimOptions.now` (default true). */
  timeTravel?: boolean;
}

let counter = 0;

export function makeEvent(user: string, overrides: Partial<SignalEvent> = {}): SignalEvent {
  counter++;
  return {
    type: 'track',
    event: 'Order Completed',
    properties: { n: counter },
    traits: {},
    user_id: user,
    message_id: `m-${counter}-${randomUUID()}`,
    timestamp: '2026-01-01T00:00:00.000Z',
    context: {},
    ...overrides,
  } as SignalEvent;
}

const LEASE = 60_000;

export function spoolContract(name: string, open: () => Promise<Spool>, cleanup: () => Promise<void>, options: SpoolContractOptions = {}): void {
  const timeTravel = options.timeTravel ?? true;
  const itTime = timeTravel ? it : it.skip;

  describe(`spool contract: ${name}`, () => {
    let spool: Spool;
    let closed = false;

    beforeEach(async () => {
      spool = await open();
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await spool.close();
      await cleanup();
    });

    // Claims run ahead of the wall clock, so events appended just before (or just after a test took
    // its t0, on a slow machine) are always due.
    const now = () => Date.now() + 5_000;
    const append = async (events: SignalEvent[], integrations = ['a']) =>
      spool.append(events.map((event) => ({ event, integrations, source: 'web' })));
    const claim = (integration = 'a', limit = 100, at = now(), leaseMs = LEASE) => spool.claim(integration, { limit, now: at, leaseMs });
    const ids = (jobs: Job[]) => jobs.map((j) => j.messageId);

    it('stores events and makes one job per integration, with the event intact', async () => {
      const e1 = makeEvent('u1', { properties: { price: 9.5, tags: ['x'] } });
      const e2 = makeEvent('u2');
      const res = await append([e1, e2], ['a', 'b']);
      expect(res.outcomes).toEqual(['stored', 'stored']);
      const jobsA = await claim('a');
      const jobsB = await claim('b');
      expect(ids(jobsA)).toEqual([e1.message_id, e2.message_id]);
      expect(ids(jobsB)).toEqual([e1.message_id, e2.message_id]);
      expect(jobsA[0]!.event.properties).toEqual({ price: 9.5, tags: ['x'] });
      expect(jobsA[0]!.userKey).toBe('u1');
      expect(jobsA[0]!.attempts).toBe(0);
      expect(jobsA[0]!.firstAttemptAt).toBeUndefined();
      expect(await claim('c')).toEqual([]);
    });

    it('dedupes by message_id, across calls and within one call, creating no second job', async () => {
      const e = makeEvent('u1');
      expect((await append([e])).outcomes).toEqual(['stored']);
      expect((await append([e, makeEvent('u2', { message_id: e.message_id })])).outcomes).toEqual(['duplicate', 'duplicate']);
      const e3 = makeEvent('u3');
      expect((await append([e3, { ...e3 }])).outcomes).toEqual(['stored', 'duplicate']);
      expect(ids(await claim())).toEqual([e.message_id, e3.message_id]);
    });

    it('dedupes per source: the same message_id from two sources is two events, each with its jobs', async () => {
      const e = makeEvent('u1');
      const other = { ...makeEvent('u9'), message_id: e.message_id };
      expect((await spool.append([{ event: e, integrations: ['a'], source: 'web' }])).outcomes).toEqual(['stored']);
      expect((await spool.append([{ event: other, integrations: ['a'], source: 'ios' }])).outcomes).toEqual(['stored']);
      expect((await spool.append([{ event: other, integrations: ['a'], source: 'ios' }])).outcomes).toEqual(['duplicate']);
      const jobs = await claim('a', 10);
      expect(jobs.map((j) => [j.messageId, j.userKey]).sort()).toEqual([
        [e.message_id, 'u1'],
        [e.message_id, 'u9'],
      ]);
      expect((await spool.event(e.message_id, 'web'))!.event.user_id).toBe('u1');
      expect((await spool.event(e.message_id, 'ios'))!.event.user_id).toBe('u9');
      expect((await spool.event(e.message_id, 'android'))).toBeUndefined();
      expect((await spool.event(e.message_id))!.source).toMatch(/^(web|ios)$/);
    });

    itTime('renew keeps a held job leased past its first lease; once renewals stop it comes back', async () => {
      const t0 = now();
      const e = makeEvent('u1');
      await append([e]);
      const [job] = await claim('a', 10, t0, 1_000);
      await spool.renew([job!], { now: t0 + 800, leaseMs: 1_000 });
      expect(await claim('a', 10, t0 + 1_500, 1_000)).toEqual([]);
      await spool.renew([job!], { now: t0 + 1_600, leaseMs: 1_000 });
      expect(await claim('a', 10, t0 + 2_500, 1_000)).toEqual([]);
      expect(ids(await claim('a', 10, t0 + 2_600, 1_000))).toEqual([e.message_id]);
    });

    it('renew on the wall clock: a job renewed more often than its lease is never handed out again', async () => {
      const e = makeEvent('u1');
      await append([e]);
      const leaseMs = 1_000;
      const [job] = await claim('a', 10, now(), leaseMs);
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 400));
        await spool.renew([job!], { now: Date.now(), leaseMs });
        expect(await claim('a', 10, Date.now(), leaseMs)).toEqual([]);
      }
      await spool.complete([{ job: job!, state: 'delivered', attempt: { at: Date.now(), result: { status: 'delivered' } } }]);
      await spool.renew([job!], { now: Date.now(), leaseMs });
      expect(await claim('a', 10, Date.now() + 5_000, leaseMs)).toEqual([]);
    });

    it('backlog counts jobs not yet final; health says the spool is writable', async () => {
      expect(await spool.backlog()).toBe(0);
      await append([makeEvent('u1'), makeEvent('u2')], ['a', 'b']);
      expect(await spool.backlog()).toBe(4);
      const [job] = await claim('a', 1);
      expect(await spool.backlog()).toBe(4);
      await spool.complete([{ job: job!, state: 'delivered', attempt: { at: Date.now(), result: { status: 'delivered' } } }]);
      expect(await spool.backlog()).toBe(3);
      expect(spool.health()).toEqual({ writable: true });
    });

    it("keeps a retry's batch tag with the job (idempotent batches) and drops it with the next untagged outcome", async () => {
      const e = makeEvent('u1');
      await append([e]);
      const [job] = await claim();
      const at = Date.now();
      await spool.complete([{ job: job!, state: 'retry', retryAt: at, batch: 'g1/1/0', attempt: { at, result: { status: 'retry', reason: 'HTTP 503' } } }]);
      let back: Job[] = [];
      for (let i = 0; i < 50 && back.length === 0; i++) {
        back = await claim('a', 10, Date.now() + 1_000);
        if (back.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(back.map((j) => j.batch)).toEqual(['g1/1/0']);
      await spool.complete([{ job: back[0]!, state: 'retry', retryAt: Date.now(), attempt: { at: Date.now(), result: { status: 'retry', reason: 'HTTP 503' } } }]);
      back = [];
      for (let i = 0; i < 50 && back.length === 0; i++) {
        back = await claim('a', 10, Date.now() + 1_000);
        if (back.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(back).toHaveLength(1);
      expect(back[0]!.batch).toBeUndefined();
    });

    it('resolves concurrent appends each with their own outcomes', async () => {
      const events = Array.from({ length: 20 }, (_, i) => makeEvent(`u${i}`));
      const results = await Promise.all(events.map((e) => append([e])));
      expect(results.map((r) => r.outcomes)).toEqual(events.map(() => ['stored']));
      expect((await claim('a', 100)).length).toBe(20);
    });

    it('claims due jobs oldest first, in pages, and does not hand out a leased job twice', async () => {
      const events = Array.from({ length: 5 }, (_, i) => makeEvent(`u${i}`));
      for (const e of events) await append([e]);
      expect(ids(await claim('a', 3))).toEqual(events.slice(0, 3).map((e) => e.message_id));
      expect(ids(await claim('a', 3))).toEqual(events.slice(3).map((e) => e.message_id));
      expect(await claim('a', 3)).toEqual([]);
    });

    it("returns several jobs of one user in their order, and holds a user's later jobs while one is in flight", async () => {
      const a1 = makeEvent('A');
      const a2 = makeEvent('A');
      const b1 = makeEvent('B');
      const a3 = makeEvent('A');
      await append([a1, a2, b1, a3]);
      const first = await claim('a', 1);
      expect(ids(first)).toEqual([a1.message_id]);
      // a1 is in flight: a2 and a3 wait; B flows.
      expect(ids(await claim('a', 10))).toEqual([b1.message_id]);
      await spool.complete([{ job: first[0]!, state: 'delivered', attempt: { at: Date.now(), result: { status: 'delivered' } } }]);
      expect(ids(await claim('a', 10))).toEqual([a2.message_id, a3.message_id]);
    });

    itTime('stores the retry time with the job; the user waits behind it while others flow', async () => {
      const t0 = now();
      const a1 = makeEvent('A');
      const a2 = makeEvent('A');
      const b1 = makeEvent('B');
      await append([a1]);
      const [job] = await claim('a', 10, t0);
      await append([a2, b1]);
      const retryAt = t0 + 30_000;
      await spool.complete([{ job: job!, state: 'retry', retryAt, attempt: { at: t0, result: { status: 'retry', reason: 'HTTP 500' } } }]);
      expect(await spool.nextDueAt('a')).toBeLessThanOrEqual(retryAt);
      expect(ids(await claim('a', 10, t0 + 1))).toEqual([b1.message_id]);
      expect(await claim('a', 10, retryAt - 1)).toEqual([]);
      expect(await spool.nextDueAt('a')).toBe(retryAt);
      const again = await claim('a', 10, retryAt);
      expect(ids(again)).toEqual([a1.message_id, a2.message_id]);
      expect(again[0]!.attempts).toBe(1);
      expect(again[0]!.firstAttemptAt).toBe(t0);
      expect(again[1]!.attempts).toBe(0);
    });

    itTime("claims a user's due retry before that user's later jobs, even with room for only one", async () => {
      const t0 = now();
      const a1 = makeEvent('A');
      const a2 = makeEvent('A');
      await append([a1]);
      const [job] = await claim('a', 1, t0);
      await append([a2]);
      await spool.complete([{ job: job!, state: 'retry', retryAt: t0 + 5_000, attempt: { at: t0, result: { status: 'retry', reason: 'HTTP 503' } } }]);
      expect(ids(await claim('a', 1, t0 + 5_000))).toEqual([a1.message_id]);
      expect(await claim('a', 1, t0 + 5_000)).toEqual([]);
    });

    itTime("a long backlog held behind one user's retry does not starve other users", async () => {
      const t0 = now();
      const first = makeEvent('A');
      await append([first]);
      const [job] = await claim('a', 1, t0);
      await spool.complete([{ job: job!, state: 'retry', retryAt: t0 + 60_000, attempt: { at: t0, result: { status: 'retry', reason: 'HTTP 503' } } }]);
      await append(Array.from({ length: 30 }, () => makeEvent('A')));
      const b = makeEvent('B');
      await append([b]);
      const got: string[] = [];
      for (let i = 0; i < 5 && got.length === 0; i++) got.push(...ids(await claim('a', 2, t0 + 1)));
      expect(got).toEqual([b.message_id]);
    });

    itTime('gives leased jobs back once the lease expires (a crashed runner)', async () => {
      const t0 = now();
      const e = makeEvent('u1');
      await append([e]);
      expect(ids(await claim('a', 10, t0, 1_000))).toEqual([e.message_id]);
      expect(await claim('a', 10, t0 + 999, 1_000)).toEqual([]);
      const back = await claim('a', 10, t0 + 1_000, 1_000);
      expect(ids(back)).toEqual([e.message_id]);
      expect(back[0]!.attempts).toBe(0);
    });

    it('release gives a job back without counting an attempt or writing history', async () => {
      const e = makeEvent('u1');
      await append([e]);
      const [job] = await claim();
      await spool.complete([{ job: job!, state: 'release' }]);
      const back = await claim();
      expect(ids(back)).toEqual([e.message_id]);
      expect(back[0]!.attempts).toBe(0);
      const detail = await spool.event(e.message_id);
      expect(detail!.deliveries[0]!.history).toEqual([]);
    });

    it('final states are final: delivered, rejected and dropped jobs are never claimed again', async () => {
      const events = [makeEvent('u1'), makeEvent('u2'), makeEvent('u3')];
      await append(events);
      const jobs = await claim();
      const at = Date.now();
      await spool.complete([
        { job: jobs[0]!, state: 'delivered', attempt: { at, result: { status: 'delivered' } } },
        { job: jobs[1]!, state: 'rejected', attempt: { at, result: { status: 'rejected', code: 'bad', message: 'bad field' } } },
        { job: jobs[2]!, state: 'dropped', attempt: { at, result: { status: 'dropped', reason: 'unmapped' } } },
      ]);
      expect(await claim('a', 10, now() + 10 * LEASE)).toEqual([]);
      expect(await spool.nextDueAt('a')).toBeUndefined();
    });

    it('dead jobs show in the delivery log as dead and failed, and replay makes them deliverable again', async () => {
      const e = makeEvent('u1');
      const other = makeEvent('u2');
      await append([e, other]);
      const [job, otherJob] = await claim();
      const at = Date.now();
      await spool.complete([
        { job: job!, state: 'dead', attempt: { at, result: { status: 'retry', reason: 'HTTP 503' } } },
        { job: otherJob!, state: 'delivered', attempt: { at, result: { status: 'delivered' } } },
      ]);
      const dead = await spool.deliveries({ state: 'dead' });
      expect(dead.map((d) => d.messageId)).toEqual([e.message_id]);
      expect(dead[0]!.lastResult).toEqual({ status: 'retry', reason: 'HTTP 503' });
      expect((await spool.deliveries({ state: 'failed' })).map((d) => d.messageId)).toEqual([e.message_id]);
      expect(await spool.replay({ integration: 'other' })).toBe(0);
      expect(await spool.replay({})).toBe(1);
      const back = await claim();
      expect(ids(back)).toEqual([e.message_id]);
      expect(back[0]!.attempts).toBe(0);
      // Replay by message id, of another final state.
      await spool.complete([{ job: back[0]!, state: 'rejected', attempt: { at, result: { status: 'rejected', code: 'x', message: 'x' } } }]);
      expect(await spool.replay({ state: 'rejected', messageIds: [other.message_id] })).toBe(0);
      expect(await spool.replay({ state: 'rejected', messageIds: [e.message_id] })).toBe(1);
      expect(ids(await claim())).toEqual([e.message_id]);
    });

    it('stats: depth, oldest age and counts by state, per integration', async () => {
      const events = [makeEvent('u1'), makeEvent('u2'), makeEvent('u3'), makeEvent('u4')];
      await append(events, ['a', 'b']);
      const jobs = await claim('a', 2);
      const at = Date.now();
      await spool.complete([
        { job: jobs[0]!, state: 'delivered', attempt: { at, result: { status: 'delivered' } } },
        { job: jobs[1]!, state: 'retry', retryAt: at + 60_000, attempt: { at, result: { status: 'retry', reason: 'HTTP 500' } } },
      ]);
      await claim('a', 1);
      const stats = await spool.stats();
      const a = stats.find((s) => s.integration === 'a')!;
      const b = stats.find((s) => s.integration === 'b')!;
      expect(a.byState).toMatchObject({ delivered: 1, retry: 1, inflight: 1, pending: 1 });
      expect(a.depth).toBe(3);
      expect(a.oldestAgeMs).toBeGreaterThanOrEqual(0);
      expect(b.byState).toMatchObject({ pending: 4 });
      expect(b.depth).toBe(4);
    });

    it('deliveries: newest first, filtered by integration and state, paged with a cursor', async () => {
      const events = Array.from({ length: 5 }, (_, i) => makeEvent(`u${i}`));
      for (const e of events) await append([e], ['a', 'b']);
      const all = await spool.deliveries({ integration: 'a' });
      expect(all.map((d) => d.messageId)).toEqual(events.map((e) => e.message_id).reverse());
      expect(all.every((d) => d.integration === 'a' && d.state === 'pending' && d.eventType === 'track' && d.eventName === 'Order Completed')).toBe(true);
      expect((await spool.deliveries({})).length).toBe(10);
      const page1 = await spool.deliveries({ integration: 'a', limit: 2 });
      const page2 = await spool.deliveries({ integration: 'a', limit: 2, before: page1[1]!.id });
      expect([...page1, ...page2].map((d) => d.messageId)).toEqual(all.slice(0, 4).map((d) => d.messageId));
      expect(await spool.deliveries({ integration: 'a', state: 'delivered' })).toEqual([]);
    });

    it('event detail: the stored event and, per integration, every attempt with result, payload and exchange', async () => {
      const e = makeEvent('u1');
      await append([e], ['a', 'b']);
      const [job] = await claim('a');
      const exchange: Exchange = {
        request: { method: 'POST', url: 'https://vendor.test/x', headers: { authorization: '[REDACTED]' }, body: '{"d":[1]}' },
        response: { status: 500, headers: {}, body: 'oops' },
        durationMs: 12,
      };
      const t = Date.now();
      await spool.complete([{ job: job!, state: 'retry', retryAt: t, attempt: { at: t, result: { status: 'retry', reason: 'HTTP 500' }, exchange, payload: { evtName: 'Charged' } } }]);
      const [again] = await claim('a', 10, now() + 1);
      await spool.complete([{ job: again!, state: 'delivered', attempt: { at: t + 1, result: { status: 'delivered', warning: 'careful' }, payload: { evtName: 'Charged' } } }]);
      const detail = await spool.event(e.message_id);
      expect(detail).toBeDefined();
      expect(detail!.event.message_id).toBe(e.message_id);
      expect(detail!.source).toBe('web');
      const da = detail!.deliveries.find((d) => d.integration === 'a')!;
      const db = detail!.deliveries.find((d) => d.integration === 'b')!;
      expect(da.state).toBe('delivered');
      expect(da.attempts).toBe(2);
      expect(da.history).toHaveLength(2);
      expect(da.history[0]).toEqual({ at: t, result: { status: 'retry', reason: 'HTTP 500' }, exchange, payload: { evtName: 'Charged' } });
      expect(da.history[1]!.result).toEqual({ status: 'delivered', warning: 'careful' });
      expect(da.history[1]!.exchange).toBeUndefined();
      expect(db.state).toBe('pending');
      expect(db.history).toEqual([]);
      expect(await spool.event('no-such-message')).toBeUndefined();
    });

    it("remembers identify traits into later events' context.traits (the event's own values win)", async () => {
      const identify = makeEvent('u1', { type: 'identify', event: undefined, anonymous_id: 'anon-1', traits: { email: 'a@x.test', plan: 'pro' } });
      await append([identify]);
      const track = makeEvent('u1', { context: { traits: { plan: 'free' } } as SignalEvent['context'] });
      const anonymous = makeEvent('ignored', { user_id: undefined, anonymous_id: 'anon-1' });
      const stranger = makeEvent('u2');
      await append([track, anonymous, stranger]);
      const identify2 = makeEvent('u1', { type: 'identify', event: undefined, traits: { name: 'Ada' } });
      const later = makeEvent('u1');
      await append([identify2, later]);
      const jobs = await claim('a', 100);
      const traitsOf = (id: string) => (jobs.find((j) => j.messageId === id)!.event.context as { traits?: unknown }).traits;
      expect(traitsOf(track.message_id)).toEqual({ email: 'a@x.test', plan: 'free' });
      expect(traitsOf(anonymous.message_id)).toEqual({ email: 'a@x.test', plan: 'pro' });
      expect(traitsOf(stranger.message_id)).toBeUndefined();
      expect(traitsOf(later.message_id)).toEqual({ email: 'a@x.test', plan: 'pro', name: 'Ada' });
    });

    if (options.reopen !== undefined && timeTravel) {
      it('keeps events, attempts and retry times across close and reopen', async () => {
        const t0 = now();
        const e = makeEvent('u1');
        const f = makeEvent('u2');
        await append([e, f]);
        const [job] = await claim('a', 1, t0);
        await spool.complete([{ job: job!, state: 'retry', retryAt: t0 + 45_000, attempt: { at: t0, result: { status: 'retry', reason: 'HTTP 429', retryAfterMs: 45_000 } } }]);
        await claim('a', 10, t0);
        await spool.close();
        closed = true;
        spool = await options.reopen!();
        closed = false;
        expect(await spool.nextDueAt('a')).toBeLessThanOrEqual(t0 + 45_000);
        // f was in flight when the runner stopped: due again at once; e keeps its retry time.
        expect(ids(await claim('a', 10, t0 + 1))).toEqual([f.message_id]);
        const back = await claim('a', 10, t0 + 45_000);
        expect(ids(back)).toEqual([e.message_id]);
        expect(back[0]!.attempts).toBe(1);
        expect((await append([e])).outcomes).toEqual(['duplicate']);
      });
    }
  });
}

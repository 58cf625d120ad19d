import type { AttemptRecord } from '../../src/spool/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { track } from './events.js';
import { countOn, jobsOn, logRecords, natsMissing, sandbox, type Sandbox } from './nats-available.js';

const ok = (at = Date.now()): AttemptRecord => ({ at, result: { status: 'delivered' } });
const failed = (at = Date.now()): AttemptRecord => ({ at, result: { status: 'retry', reason: 'HTTP 503' } });
const lease = { leaseMs: 30_000 };

/** Claims until `want` jobs arrived or the deadline passes (jobs held back come back after a nak delay). */
async function claimUntil(claim: () => Promise<{ messageId: string }[]>, want: number, deadlineMs = 10_000) {
  const got: { messageId: string }[] = [];
  const end = Date.now() + deadlineMs;
  while (got.length < want && Date.now() < end) {
    got.push(...(await claim()));
    if (got.length < want) await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

describe.skipIf(natsMissing)('JetStream spool: delivery', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(async () => {
    await sb.dispose();
  });

  it('a final state acks the job off the work stream and logs the attempt', async () => {
    const spool = await sb.open();
    const a = track('u1');
    const b = track('u1');
    await spool.append([a, b].map((event) => ({ event, integrations: ['hook'], source: 'web' })));
    const jobs = await spool.claim('hook', { limit: 10, now: Date.now(), ...lease });
    expect(jobs.map((j) => j.messageId)).toEqual([a.message_id, b.message_id]);
    expect(jobs.map((j) => j.attempts)).toEqual([0, 0]);
    await spool.complete([
      { job: jobs[0]!, state: 'delivered', attempt: ok() },
      { job: jobs[1]!, state: 'rejected', attempt: { at: Date.now(), result: { status: 'rejected', code: '512', message: 'bad' } } },
    ]);
    // Both recorded: the chunk is acked off the work queue; one LOG message holds both records.
    expect((await sb.jsm.streams.info(sb.names.streams.work)).state.messages).toBe(0);
    expect((await sb.jsm.streams.info(sb.names.streams.log)).state.messages).toBe(1);
    const records = await logRecords(sb.jsm, sb.names.streams.log, sb.names.logFilter('hook'));
    expect(records.find((r) => r['m'] === b.message_id)).toMatchObject({ st: 'rejected', n: 1, a: { result: { status: 'rejected', code: '512' } } });
    // The query API agrees with the stream.
    expect((await spool.deliveries({ integration: 'hook', state: 'failed' })).map((d) => d.messageId)).toEqual([b.message_id]);
    const detail = await spool.event(a.message_id);
    expect(detail?.deliveries).toMatchObject([{ integration: 'hook', state: 'delivered', attempts: 1 }]);
  });

  it('a retry stores its time with the job (survives a restart) and holds the user’s later jobs back', async () => {
    const first = await sb.open();
    const [a, b, c] = [track('u1'), track('u1'), track('u2')];
    await first.append([a, b, c].map((event) => ({ event, integrations: ['hook'], source: 'web' })));
    const now = Date.now();
    const jobs = new Map((await first.claim('hook', { limit: 10, now, ...lease })).map((j) => [j.messageId, j]));
    const retryAt = now + 60_000;
    await first.complete([
      { job: jobs.get(a.message_id)!, state: 'retry', attempt: failed(now), retryAt },
      { job: jobs.get(b.message_id)!, state: 'release' },
      { job: jobs.get(c.message_id)!, state: 'delivered', attempt: ok(now) },
    ]);
    // Oracle: the retry queue holds the job with attempts and retry time; the hold names the retrying job.
    const stored = await sb.jsm.direct.getMessage(sb.names.streams.retry, { last_by_subj: sb.names.retry('hook', 'r') });
    expect(stored?.json()).toMatchObject({ attempts: 1, retryAt, firstAttemptAt: now, event: { message_id: a.message_id } });
    // The released job went back to the retry queue as pending; the chunk is acked (every job of it is recorded).
    expect(await countOn(sb.jsm, sb.names.streams.retry, sb.names.retry('hook', 'p'))).toBe(1);
    expect((await sb.jsm.streams.info(sb.names.streams.work)).state.messages).toBe(0);
    const hold = await sb.jsm.direct.getMessage(sb.names.streams.hold, { last_by_subj: sb.names.hold('hook', 'u1') });
    expect(hold?.json()).toMatchObject({ messageId: a.message_id, retryAt });
    expect(await first.nextDueAt('hook')).toBe(retryAt);
    await first.close();

    // "Restart": a new spool, when the retry is due. The retried job comes back first; u1's later job stays held.
    const second = await sb.open({ hold_recheck_ms: 200 });
    const due = await second.claim('hook', { limit: 10, now: retryAt + 1, ...lease });
    expect(due.map((j) => [j.messageId, j.attempts, j.firstAttemptAt])).toEqual([[a.message_id, 1, now]]);
    await second.complete([{ job: due[0]!, state: 'delivered', attempt: ok() }]);
    expect(await countOn(sb.jsm, sb.names.streams.hold, sb.names.hold('hook', 'u1'))).toBe(0);
    const after = await claimUntil(() => second.claim('hook', { limit: 10, now: Date.now(), ...lease }), 1);
    expect(after.map((j) => j.messageId)).toEqual([b.message_id]);
  });

  it('dead letters go to their own stream and replay() puts them back on the work stream', async () => {
    const spool = await sb.open();
    const a = track('u1');
    await spool.append([{ event: a, integrations: ['hook'], source: 'web' }]);
    const [job] = await spool.claim('hook', { limit: 1, now: Date.now(), ...lease });
    await spool.complete([{ job: job!, state: 'dead', attempt: failed() }]);
    expect(await countOn(sb.jsm, sb.names.streams.dead, sb.names.dead('hook'))).toBe(1);
    expect(await jobsOn(sb.jsm, sb.names.streams.work, sb.names.workFilter('hook'))).toBe(0);
    expect((await spool.deliveries({ state: 'dead' })).map((d) => d.messageId)).toEqual([a.message_id]);

    expect(await spool.replay({ integration: 'other' })).toBe(0);
    expect(await spool.replay({ integration: 'hook' })).toBe(1);
    expect(await countOn(sb.jsm, sb.names.streams.dead, sb.names.dead('hook'))).toBe(0);
    expect(await countOn(sb.jsm, sb.names.streams.retry, sb.names.retry('hook', 'p'))).toBe(1);
    const again = await spool.claim('hook', { limit: 1, now: Date.now(), ...lease });
    expect(again.map((j) => [j.messageId, j.attempts])).toEqual([[a.message_id, 0]]);
    // Leased again, but a claim writes nothing to the log (the lease is the consumer's ack-pending state): pending until an outcome is recorded.
    const detail = await spool.event(a.message_id);
    expect(detail?.deliveries[0]).toMatchObject({ state: 'pending', attempts: 0, history: [{ result: { status: 'retry' } }] });
    expect((await spool.stats())[0]?.byState).toEqual({ inflight: 1 });
  });

  it("stores a batch's exchange once and shows it in each of its jobs' history", async () => {
    const spool = await sb.open();
    const events = [track('u1'), track('u2'), track('u3')];
    await spool.append(events.map((event) => ({ event, integrations: ['hook'], source: 'web' })));
    const jobs = await spool.claim('hook', { limit: 10, now: Date.now(), ...lease });
    const exchange = {
      request: { method: 'POST', url: 'https://vendor.test/batch', headers: {}, body: JSON.stringify({ d: events.map((e) => e.message_id) }) },
      response: { status: 200, headers: {}, body: '{"status":"success"}' },
      durationMs: 5,
    };
    await spool.complete(jobs.map((job) => ({ job, state: 'delivered' as const, attempt: { ...ok(), exchange } })));
    // Oracle: one EXCHANGE message for the batch, and log records that hold its id, not a copy.
    expect((await sb.jsm.streams.info(sb.names.streams.exchange)).state.messages).toBe(1);
    const records = await logRecords(sb.jsm, sb.names.streams.log, sb.names.logFilter('hook'));
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect((r['a'] as { exchange?: unknown }).exchange).toBeUndefined();
      expect((r['a'] as { exchangeId?: string }).exchangeId).toEqual(expect.any(String));
    }
    for (const e of events) {
      const detail = await spool.event(e.message_id);
      expect(detail?.deliveries[0]?.history[0]?.exchange).toEqual(exchange);
    }
  });

  it("a user's new jobs wait behind their retrying job on the retry queue; other users flow", async () => {
    const spool = await sb.open({ hold_recheck_ms: 200 });
    const first = track('u1');
    await spool.append([{ event: first, integrations: ['hook'], source: 'web' }]);
    const [job] = await spool.claim('hook', { limit: 10, now: Date.now(), ...lease });
    const retryAt = Date.now() + 60_000;
    await spool.complete([{ job: job!, state: 'retry', retryAt, attempt: failed() }]);
    const later = [track('u1'), track('u1')];
    const other = track('u2');
    await spool.append([...later, other].map((event) => ({ event, integrations: ['hook'], source: 'web' })));
    const got = await spool.claim('hook', { limit: 10, now: Date.now(), ...lease });
    expect(got.map((j) => j.messageId)).toEqual([other.message_id]);
    // Oracle: u1's later jobs left their chunk for the retry queue, due when the hold may have cleared; the retried job is there too.
    expect(await countOn(sb.jsm, sb.names.streams.retry, sb.names.retry('hook', 'r'))).toBe(3);
    await spool.complete([{ job: got[0]!, state: 'delivered', attempt: ok() }]);
    expect((await sb.jsm.streams.info(sb.names.streams.work)).state.messages).toBe(0);
    expect((await spool.stats())[0]).toMatchObject({ depth: 3, byState: { retry: 3, delivered: 1 } });
  });

  it('a job handed out and never recorded (the engine lost it) comes back once its lease lapses', async () => {
    const spool = await sb.open();
    const [a, b] = [track('u1'), track('u2')];
    await spool.append([a, b].map((event) => ({ event, integrations: ['hook'], source: 'web' })));
    const short = { limit: 1, now: Date.now(), leaseMs: 1_000 };
    expect((await spool.claim('hook', short)).map((j) => j.messageId)).toEqual([a.message_id]);
    // The chunk is kept leased for b (queued in the runner), so a stays away meanwhile.
    await new Promise((r) => setTimeout(r, 1_500));
    const [jobB] = await spool.claim('hook', { ...short, now: Date.now() });
    expect(jobB?.messageId).toBe(b.message_id);
    await spool.complete([{ job: jobB!, state: 'delivered', attempt: ok() }]);
    // Nothing renews a's lease now: it comes back.
    const back = await claimUntil(() => spool.claim('hook', { ...short, now: Date.now() }), 1);
    expect(back.map((j) => j.messageId)).toEqual([a.message_id]);
  });

  it('stats count what the work stream holds per integration', async () => {
    const spool = await sb.open();
    await spool.append([track('u1'), track('u2'), track('u3')].map((event) => ({ event, integrations: ['hook'], source: 'web' })));
    await spool.claim('hook', { limit: 1, now: Date.now(), ...lease });
    const [stats] = await spool.stats();
    expect(stats).toEqual({ integration: 'hook', depth: 3, oldestAgeMs: expect.any(Number), byState: { pending: 2, inflight: 1 } });
  });
});

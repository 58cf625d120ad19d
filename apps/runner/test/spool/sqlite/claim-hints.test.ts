import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteSpool, type SqliteSpool } from '../../../src/spool/sqlite.js';
import type { Job } from '../../../src/spool/types.js';
import { makeEvent } from '../contract.js';

/**
 * A claim seeks past the jobs in flight that lead the due order (claim-hints.ts). Every way a job
 * before that point becomes claimable again must be seen by the next claim, even while jobs after
 * the point are waiting too (so the "nothing after the hint" fallback cannot hide a miss).
 * One clock for everything: appends, claims, retries and replays fall in the same millisecond,
 * the closest a job can come to the hint's key.
 */
const t = Date.parse('2026-12-02T00:00:00Z');
const lease = { now: t, leaseMs: 60_000 };
let tmp = '';
let spool: SqliteSpool;
afterEach(async () => {
  await spool?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function spoolWithJobs(n: number): Promise<string[]> {
  tmp = mkdtempSync(join(tmpdir(), 'signal-claim-hints-'));
  spool = openSqliteSpool({ path: join(tmp, 'spool.db'), now: () => t });
  // One user per event: per-user order holds nothing back here.
  const events = Array.from({ length: n }, (_, i) => makeEvent(`user-${i}`));
  await spool.append(events.map((event) => ({ event, integrations: ['a'], source: 'web' })));
  return events.map((e) => e.message_id);
}

const ids = (jobs: Job[]) => jobs.map((j) => j.messageId);

describe('sqlite claims after the jobs in flight', () => {
  it('later claims go on after the jobs in flight, in due order', async () => {
    const m = await spoolWithJobs(9);
    expect(ids(await spool.claim('a', { ...lease, limit: 3 }))).toEqual(m.slice(0, 3));
    expect(ids(await spool.claim('a', { ...lease, limit: 3 }))).toEqual(m.slice(3, 6));
    expect(ids(await spool.claim('a', { ...lease, limit: 3 }))).toEqual(m.slice(6, 9));
    expect(await spool.claim('a', { ...lease, limit: 3 })).toEqual([]);
  });

  it('a job given back is claimed again before the jobs after it', async () => {
    const m = await spoolWithJobs(9);
    const first = await spool.claim('a', { ...lease, limit: 3 });
    await spool.claim('a', { ...lease, limit: 3 });
    await spool.complete([{ job: first[1]!, state: 'release' }]);
    expect(ids(await spool.claim('a', { ...lease, limit: 2 }))).toEqual([m[1], m[6]]);
  });

  it('a job whose lease ran out is claimed again before the jobs after it', async () => {
    const m = await spoolWithJobs(9);
    await spool.claim('a', { now: t, leaseMs: 1_000, limit: 3 });
    await spool.claim('a', { now: t, leaseMs: 60_000, limit: 3 });
    expect(ids(await spool.claim('a', { now: t + 1_000, leaseMs: 60_000, limit: 4 }))).toEqual([m[0], m[1], m[2], m[6]]);
  });

  it('a retry is claimed again in its due place, also when that is before the jobs in flight', async () => {
    const m = await spoolWithJobs(10);
    const first = await spool.claim('a', { ...lease, limit: 3 });
    await spool.claim('a', { ...lease, limit: 3 });
    // Due at once: after the pending jobs of the same millisecond (due order: next_at, pending before retry, id).
    await spool.complete([{ job: first[0]!, state: 'retry', retryAt: t, attempt: { at: t, result: { status: 'retry', reason: '503' } } }]);
    expect(ids(await spool.claim('a', { ...lease, limit: 4 }))).toEqual([m[6], m[7], m[8], m[9]]);
    expect(ids(await spool.claim('a', { ...lease, limit: 1 }))).toEqual([m[0]]);
    await spool.complete([{ job: first[0]!, state: 'retry', retryAt: t + 1, attempt: { at: t, result: { status: 'retry', reason: '503' } } }]);
    // Due before the jobs in flight (a clock that moved back): first, while another job (m[0], due at t + 1) waits after them.
    await spool.complete([{ job: first[1]!, state: 'retry', retryAt: t - 1_000, attempt: { at: t, result: { status: 'retry', reason: '503' } } }]);
    expect(ids(await spool.claim('a', { ...lease, now: t + 1, limit: 1 }))).toEqual([m[1]]);
  });

  it('a replayed job is claimed again in its due place', async () => {
    const m = await spoolWithJobs(9);
    const first = await spool.claim('a', { ...lease, limit: 3 });
    await spool.claim('a', { ...lease, limit: 3 });
    await spool.complete([{ job: first[0]!, state: 'dead', attempt: { at: t, result: { status: 'rejected', code: 'test', message: 'gave up' } } }]);
    expect(await spool.replay({ integration: 'a', state: 'dead' })).toBe(1);
    expect(ids(await spool.claim('a', { ...lease, limit: 2 }))).toEqual([m[0], m[6]]);
  });
});

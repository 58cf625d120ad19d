import type { Job } from '../../src/spool/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { track } from './events.js';
import { jobsOn, logRecords, natsMissing, sandbox, type Sandbox } from './nats-available.js';

const leaseMs = 1_500;
const claimOpts = (limit: number) => ({ limit, now: Date.now(), leaseMs });
const delivered = () => ({ at: Date.now(), result: { status: 'delivered' as const } });

describe.skipIf(natsMissing)('JetStream spool: several runners on one integration', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(async () => {
    await sb.dispose();
  });

  it("never leases a job to two runners while leases hold, and a dead runner's unacked jobs go to the other", async () => {
    // Two spool instances = two runners: separate connections, shared streams.
    const a = await sb.open({ name: 'runner-a' });
    const b = await sb.open({ name: 'runner-b' });
    const events = Array.from({ length: 120 }, (_, i) => track(`user-${i}`));
    // Twelve requests: twelve chunks of jobs (a chunk is leased to one runner as a whole).
    for (let i = 0; i < 120; i += 10) await a.append(events.slice(i, i + 10).map((event) => ({ event, integrations: ['hook'], source: 'web' })));

    const completions = new Map<string, number>();
    const done = async (spool: typeof a, jobs: Job[]) => {
      await spool.complete(jobs.map((job) => ({ job, state: 'delivered' as const, attempt: delivered() })));
      for (const j of jobs) completions.set(j.messageId, (completions.get(j.messageId) ?? 0) + 1);
    };

    // Both claim at once, then B again: every job leased once.
    const [fromA, fromB] = await Promise.all([a.claim('hook', claimOpts(50)), b.claim('hook', claimOpts(50))]);
    const rest = await b.claim('hook', claimOpts(50));
    const leased = [...fromA, ...fromB, ...rest].map((j) => j.messageId);
    expect(leased.length).toBe(120);
    expect(new Set(leased).size).toBe(120);
    expect(await b.claim('hook', claimOpts(50))).toEqual([]);

    expect(fromA.length).toBeGreaterThan(0);
    expect(fromB.length).toBeGreaterThan(0);

    // A finishes part of its batch (one chunk of it only in part), then dies (no acks, no release: like kill -9).
    const finishedByA = fromA.slice(0, Math.floor(fromA.length / 2) + 5);
    const lostWithA = fromA.slice(finishedByA.length);
    await done(a, finishedByA);
    await a.abandon();
    await done(b, [...fromB, ...rest]);

    // A's unacked jobs come back to B once their lease (ack_wait) expires.
    const recovered: Job[] = [];
    const deadline = Date.now() + 20_000;
    while (recovered.length < lostWithA.length && Date.now() < deadline) {
      const jobs = await b.claim('hook', claimOpts(50));
      await done(b, jobs);
      recovered.push(...jobs);
      if (jobs.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(recovered.map((j) => j.messageId).sort()).toEqual(lostWithA.map((j) => j.messageId).sort());

    // Nothing lost, nothing delivered twice.
    const duplicates = [...completions.values()].filter((n) => n > 1).length;
    expect(duplicates).toBe(0);
    expect([...completions.keys()].sort()).toEqual(events.map((e) => e.message_id).sort());
    // Oracle: the work queue is empty, the tally says 120 delivered and nothing else, and the log has one record per job.
    expect((await sb.jsm.streams.info(sb.names.streams.work)).state.messages).toBe(0);
    expect(await jobsOn(sb.jsm, sb.names.streams.tally, `${sb.prefix}.tally.hook.delivered.*`)).toBe(120);
    expect(await jobsOn(sb.jsm, sb.names.streams.tally, sb.names.tallyFilter)).toBe(120);
    const records = await logRecords(sb.jsm, sb.names.streams.log, sb.names.logFilter('hook'));
    expect(records).toHaveLength(120);
    expect(records.find((r) => r['m'] === lostWithA[0]!.messageId)).toMatchObject({ st: 'delivered', n: 1 });
  });

  it('a runner that closes normally gives its unfinished claims back at once', async () => {
    const a = await sb.open({ name: 'runner-a' });
    const b = await sb.open({ name: 'runner-b' });
    const e = track('u1');
    await a.append([{ event: e, integrations: ['hook'], source: 'web' }]);
    expect((await a.claim('hook', { limit: 10, now: Date.now(), leaseMs: 600_000 })).length).toBe(1);
    expect(await b.claim('hook', { limit: 10, now: Date.now(), leaseMs: 600_000 })).toEqual([]);
    await a.close();
    // A 10-minute lease: only the release on close can explain getting it now.
    expect((await b.claim('hook', { limit: 10, now: Date.now(), leaseMs: 600_000 })).map((j) => j.messageId)).toEqual([e.message_id]);
  });
});

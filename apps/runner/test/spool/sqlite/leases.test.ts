import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteSpool } from '../../../src/spool/sqlite.js';
import { makeEvent } from '../contract.js';

let tmp = '';
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('sqlite leases (in the writer thread, not in the file)', () => {
  it('jobs in flight show as inflight in stats and the delivery log, while the file keeps them due; reopening makes them claimable at once', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'signal-leases-'));
    const path = join(tmp, 'spool.db');
    let spool = openSqliteSpool({ path });
    const [e1, e2, e3] = [makeEvent('u1'), makeEvent('u2'), makeEvent('u3')];
    await spool.append([e1, e2, e3].map((event) => ({ event, integrations: ['a'], source: 'web' })));
    const now = Date.now() + 1_000;
    const held = await spool.claim('a', { limit: 2, now, leaseMs: 600_000 });
    expect(held.map((j) => j.messageId)).toEqual([e1.message_id, e2.message_id]);
    const [stats] = await spool.stats();
    expect(stats!.byState).toEqual({ inflight: 2, pending: 1 });
    expect(stats!.depth).toBe(3);
    expect(await spool.backlog()).toBe(3);
    expect((await spool.deliveries({ state: 'inflight' })).map((d) => d.messageId).sort()).toEqual([e1.message_id, e2.message_id].sort());
    expect((await spool.deliveries({ state: 'pending' })).map((d) => d.messageId)).toEqual([e3.message_id]);
    expect((await spool.event(e1.message_id))!.deliveries[0]!.state).toBe('inflight');
    // What another process reading the file sees: nothing is in flight on disk.
    const reader = new Database(path, { readonly: true });
    expect((reader.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE state = 'pending'`).get() as { n: number }).n).toBe(3);
    reader.close();
    await spool.close();
    // A new writer (a restart) has no leases: the jobs that were in flight are due at once, in order.
    spool = openSqliteSpool({ path });
    expect((await spool.claim('a', { limit: 10, now, leaseMs: 600_000 })).map((j) => j.messageId)).toEqual([e1.message_id, e2.message_id, e3.message_id]);
    await spool.close();
  });

  it('an expired lease makes the job due again without a write; a late result for it still counts', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'signal-leases-'));
    const spool = openSqliteSpool({ path: join(tmp, 'spool.db') });
    const e = makeEvent('u1');
    await spool.append([{ event: e, integrations: ['a'], source: 'web' }]);
    const t0 = Date.now() + 1_000;
    const [first] = await spool.claim('a', { limit: 1, now: t0, leaseMs: 1_000 });
    expect(await spool.nextDueAt('a')).toBe(t0 + 1_000);
    const [second] = await spool.claim('a', { limit: 1, now: t0 + 1_000, leaseMs: 1_000 });
    expect(second!.id).toBe(first!.id);
    await spool.complete([{ job: first!, state: 'delivered', attempt: { at: t0, result: { status: 'delivered' } } }]);
    expect(await spool.claim('a', { limit: 1, now: t0 + 10_000, leaseMs: 1_000 })).toEqual([]);
    expect((await spool.deliveries({})).map((d) => d.state)).toEqual(['delivered']);
    await spool.close();
  });
});

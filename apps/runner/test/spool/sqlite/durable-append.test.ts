import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as fsModule from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeEvent } from '../contract.js';

/**
 * The WAL's fdatasync on the main thread (wal-sync.ts), held by the test: an append resolves only
 * once it is done, and its jobs are not claimable before. (The writer thread keeps the real fs.)
 */
const syncs: ((error: NodeJS.ErrnoException | null) => void)[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof fsModule>();
  return { ...fs, fdatasync: (_fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => syncs.push(callback) };
});
const { openSqliteSpool } = await import('../../../src/spool/sqlite.js');

let tmp = '';
afterEach(() => {
  syncs.splice(0);
  rmSync(tmp, { recursive: true, force: true });
});
const untilSyncs = (n: number) => vi.waitFor(() => expect(syncs.length).toBeGreaterThanOrEqual(n), { interval: 1 });

describe('sqlite append durability (the WAL synced before an append resolves)', () => {
  it('an append resolves only after the WAL sync; until then its jobs are not claimable', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'signal-durable-'));
    const spool = openSqliteSpool({ path: join(tmp, 'spool.db') });
    let resolved = false;
    const appended = spool.append([{ event: makeEvent('u1'), integrations: ['a'], source: 'web' }]).then((r) => ((resolved = true), r));
    // Committed by the writer, its sync under way: not answered, and no claim sees the job.
    await untilSyncs(1);
    expect(resolved).toBe(false);
    const now = Date.now() + 1_000;
    expect(await spool.claim('a', { limit: 10, now, leaseMs: 60_000 })).toEqual([]);
    expect(await spool.nextDueAt('a')).toBeUndefined();
    syncs[0]!(null);
    expect(await appended).toEqual({ outcomes: ['stored'] });
    expect(await spool.claim('a', { limit: 10, now, leaseMs: 60_000 })).toHaveLength(1);
    await spool.close();
  });

  it('a failed sync fails the append with the reason and marks the spool unwritable until an append succeeds', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'signal-durable-'));
    const spool = openSqliteSpool({ path: join(tmp, 'spool.db') });
    const failed = spool.append([{ event: makeEvent('u1'), integrations: ['a'], source: 'web' }]);
    await untilSyncs(1);
    syncs[0]!(Object.assign(new Error('i/o error'), { code: 'EIO' }));
    await expect(failed).rejects.toThrow(/cannot store events: the spool could not sync its file to disk \(EIO\)/);
    expect(spool.health()).toMatchObject({ writable: false, reason: expect.stringMatching(/EIO/) });
    const next = spool.append([{ event: makeEvent('u2'), integrations: ['a'], source: 'web' }]);
    await untilSyncs(2);
    syncs[1]!(null);
    expect(await next).toEqual({ outcomes: ['stored'] });
    expect(spool.health()).toEqual({ writable: true });
    await spool.close();
  });
});

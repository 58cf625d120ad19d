import type * as fsModule from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** fdatasync held by the test: the WAL's sync is what an append's answer waits for. */
const syncs: ((error: NodeJS.ErrnoException | null) => void)[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof fsModule>();
  return {
    ...fs,
    openSync: () => 99,
    closeSync: () => undefined,
    fdatasyncSync: () => undefined,
    fdatasync: (_fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => syncs.push(callback),
  };
});
const { createWalSync } = await import('../../../src/spool/sqlite/wal-sync.js');

afterEach(() => void syncs.splice(0));

describe('wal sync', () => {
  it('answers a commit only after the WAL is synced, and jobs are durable only then', () => {
    const wal = createWalSync('/x/spool.db-wal', 10);
    const answers: (Error | undefined)[] = [];
    wal.afterCommit(12, (e) => answers.push(e));
    expect(syncs).toHaveLength(1);
    expect(answers).toEqual([]);
    expect(wal.durableJobId).toBe(10);
    syncs[0]!(null);
    expect(answers).toEqual([undefined]);
    expect(wal.durableJobId).toBe(12);
  });

  it('starts a sync per commit, up to four at once (later ones share one); a sync that completes answers every commit before it', () => {
    const wal = createWalSync('/x/spool.db-wal', 0);
    const answers: string[] = [];
    for (const [i, name] of ['a', 'b', 'c', 'd', 'e', 'f'].entries()) wal.afterCommit(i + 1, () => answers.push(name));
    expect(syncs).toHaveLength(4);
    // b's sync began after a's commit: it covers a too.
    syncs[1]!(null);
    expect(answers).toEqual(['a', 'b']);
    expect(wal.durableJobId).toBe(2);
    syncs[0]!(null);
    expect(answers).toEqual(['a', 'b']);
    // Room again: e and f, which waited, share the next sync.
    expect(syncs).toHaveLength(5);
    syncs[4]!(null);
    expect(answers).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(wal.durableJobId).toBe(6);
    syncs[2]!(null);
    syncs[3]!(null);
    expect(answers).toHaveLength(6);
  });

  it('a failed sync fails the commits it covered and does not advance the durable jobs', () => {
    const wal = createWalSync('/x/spool.db-wal', 5);
    const answers: (Error | undefined)[] = [];
    wal.afterCommit(7, (e) => answers.push(e));
    syncs[0]!(Object.assign(new Error('io'), { code: 'EIO' }));
    expect(answers[0]?.message).toMatch(/could not sync its file to disk \(EIO\)/);
    expect(wal.durableJobId).toBe(5);
  });

  it('flushSync answers everything waiting or in flight, once', () => {
    const wal = createWalSync('/x/spool.db-wal', 0);
    const answers: string[] = [];
    wal.afterCommit(1, () => answers.push('a'));
    wal.afterCommit(2, () => answers.push('b'));
    wal.flushSync();
    expect(answers).toEqual(['a', 'b']);
    expect(wal.durableJobId).toBe(2);
    syncs[0]!(null);
    expect(answers).toEqual(['a', 'b']);
  });

  it('in memory there is nothing to sync: a commit is answered at once', () => {
    const wal = createWalSync(undefined, 0);
    let answered = false;
    wal.afterCommit(3, () => (answered = true));
    expect(answered).toBe(true);
    expect(wal.durableJobId).toBe(3);
    expect(syncs).toHaveLength(0);
  });
});

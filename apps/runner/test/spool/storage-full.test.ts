import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteSpool, type SqliteSpool } from '../../src/spool/sqlite.js';
import { makeEvent } from './contract.js';

/**
 * A full disk never makes the spool lie: append rejects with SpoolError (the collector answers
 * 503), health() says why, nothing stored earlier is lost, and writes resume by themselves once
 * space returns. Two ways to fill it: SQLite's max_page_count, and a real 2 MB tmpfs.
 */
let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.reverse()) fn();
  cleanup = [];
});

const big = () => makeEvent('u1', { properties: { blob: 'x'.repeat(4_000) } });

async function fillUntilRefused(spool: SqliteSpool): Promise<string[]> {
  const stored: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const e = big();
    try {
      await spool.append([{ event: e, integrations: ['a'], source: 'web' }]);
      stored.push(e.message_id);
    } catch (error) {
      expect((error as Error).name).toBe('SpoolError');
      expect((error as Error).message).toMatch(/full/i);
      return stored;
    }
  }
  throw new Error('the spool never filled up');
}

describe('sqlite spool on a full disk', () => {
  it('max_page_count: refuses with SpoolError, reports unhealthy, keeps everything stored before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signal-full-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'spool.db');
    const spool = openSqliteSpool({ path, maxPageCount: 200 });
    cleanup.push(() => void spool.close());
    const stored = await fillUntilRefused(spool);
    expect(stored.length).toBeGreaterThan(5);
    expect(spool.health()).toMatchObject({ writable: false, reason: expect.stringMatching(/full/i) });
    expect(await spool.backlog()).toBe(stored.length);
    await spool.close();
    // Room again (the cap lifted): everything accepted is there to deliver, and appends work.
    const roomy = openSqliteSpool({ path });
    cleanup.push(() => void roomy.close());
    const jobs = await roomy.claim('a', { limit: 10_000, now: Date.now() + 1_000, leaseMs: 60_000 });
    expect(jobs.map((j) => j.messageId)).toEqual(stored);
    expect((await roomy.append([{ event: big(), integrations: ['a'], source: 'web' }])).outcomes).toEqual(['stored']);
  });

  it('a real small filesystem: refuses when full, resumes by itself once space returns', async (ctx) => {
    const mount = mkdtempSync(join(tmpdir(), 'signal-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount], { stdio: 'pipe' });
    } catch (error) {
      rmSync(mount, { recursive: true, force: true });
      if (process.env.CI) throw new Error(`mounting a 2 MB tmpfs failed (needs root): ${(error as Error).message}`);
      console.log(`skipped: cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`);
      ctx.skip();
      return;
    }
    cleanup.push(() => {
      execFileSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
    });
    mkdirSync(join(mount, 'data'));
    // Leave the spool a little room: most of the filesystem is a file we delete later.
    writeFileSync(join(mount, 'filler'), Buffer.alloc(1_400_000));
    const spool = openSqliteSpool({ path: join(mount, 'data', 'spool.db') });
    cleanup.push(() => void spool.close());
    const stored = await fillUntilRefused(spool);
    expect(spool.health().writable).toBe(false);
    rmSync(join(mount, 'filler'));
    const after = big();
    expect((await spool.append([{ event: after, integrations: ['a'], source: 'web' }])).outcomes).toEqual(['stored']);
    expect(spool.health()).toEqual({ writable: true });
    const jobs = await spool.claim('a', { limit: 10_000, now: Date.now() + 1_000, leaseMs: 60_000 });
    expect(jobs.map((j) => j.messageId)).toEqual([...stored, after.message_id]);
    await spool.close();
  });
});

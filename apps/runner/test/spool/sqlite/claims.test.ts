import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Request, Response } from '../../../src/spool/sqlite/protocol.js';

/**
 * What a claim reads of the due index (claims.ts): a claim that fills up reads no further page, and
 * a claim after the jobs in flight starts right after the last of them, also inside the run of
 * jobs one append commit made (they share next_at). The connection is watched: every due-scan query
 * records the rows it returned.
 */
const pages: number[] = [];
vi.mock('better-sqlite3', async (importOriginal) => {
  const original = (await importOriginal<{ default: typeof BetterSqlite3 }>()).default;
  const prepare = original.prototype.prepare;
  original.prototype.prepare = function (this: BetterSqlite3.Database, sql: string) {
    const statement = prepare.call(this, sql);
    if (/^SELECT id, user_key, next_at, state FROM jobs WHERE integration = \?/.test(sql)) {
      const all = statement.all.bind(statement) as (...args: unknown[]) => unknown[];
      statement.all = (...args: unknown[]) => {
        const rows = all(...args);
        pages.push(rows.length);
        return rows;
      };
    }
    return statement;
  } as typeof prepare;
  return { default: original };
});
const { openStore } = await import('../../../src/spool/sqlite/store.js');

let tmp = '';
afterEach(() => {
  pages.splice(0);
  rmSync(tmp, { recursive: true, force: true });
});
const run = (store: ReturnType<typeof openStore>, requests: Request[]) => {
  const replies: Response[] = [];
  store.process(requests, (r) => replies.push(...r));
  return replies;
};

describe('sqlite claims: due index rows read', () => {
  it('claims through one commit of 30 jobs, 10 at a time: each reads its 10 rows once, and a full claim reads no next page', () => {
    tmp = mkdtempSync(join(tmpdir(), 'signal-claims-'));
    const store = openStore({ path: join(tmp, 'spool.db'), dedupe: { windowMs: 3_600_000, maxIds: 1000 } });
    // One user per job (per-user order holds nothing back), all in one commit: one next_at for all.
    const events = Array.from({ length: 30 }, (_, i) => [`m${i}`, 'web', `u${i}`, 'track', 'Viewed', `{"message_id":"m${i}"}`, '', 0, 'a']).flat();
    run(store, [{ op: 'append', id: 1, at: 1, events }]);
    const claim = (id: number) => (run(store, [{ op: 'claim', id, integration: 'a', limit: 10, now: 10, leaseMs: 60_000, durableJobId: Number.MAX_SAFE_INTEGER }])[0] as { value: unknown[] }).value;
    const claimed: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      pages.splice(0);
      claimed.push(...claim(2 + i).filter((_, j) => j % 8 === 2));
      // The rows it took, and nothing before them (the jobs in flight) or after them (a next page).
      expect(pages.reduce((a, b) => a + b, 0)).toBe(10);
    }
    expect(claimed).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    store.close();
  });
});

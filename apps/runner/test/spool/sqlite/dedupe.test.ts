import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignalEvent } from '@signal/core';
import { openSqliteSpool, type SqliteSpoolOptions } from '../../../src/spool/sqlite.js';
import { makeEvent } from '../contract.js';

/** Message ids dedupe per source over a bounded window kept in memory, rebuilt from the file on open. */
const hour = 3_600_000;
let tmp = '';
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function clocked(options: Partial<SqliteSpoolOptions> = {}) {
  tmp = mkdtempSync(join(tmpdir(), 'signal-dedupe-'));
  const clock = { t: 1_700_000_000_000 };
  const open = () => openSqliteSpool({ path: join(tmp, 'spool.db'), now: () => clock.t, ...options });
  return { clock, open };
}
const add = (spool: ReturnType<typeof openSqliteSpool>, event: SignalEvent, source = 'web') =>
  spool.append([{ event, integrations: ['a'], source }]).then((r) => r.outcomes[0]);
const jobsOf = async (spool: ReturnType<typeof openSqliteSpool>, messageId: string) =>
  (await spool.event(messageId))?.deliveries.length ?? 0;

describe('sqlite dedupe window', () => {
  it('survives a restart: an id stored before is a duplicate after reopening, per source', async () => {
    const { open } = clocked();
    const e = makeEvent('u1');
    let spool = open();
    expect(await add(spool, e)).toBe('stored');
    await spool.close();
    spool = open();
    expect(await add(spool, e)).toBe('duplicate');
    expect(await add(spool, { ...e, properties: { changed: true } })).toBe('duplicate');
    expect(await add(spool, e, 'ios')).toBe('stored');
    expect(await add(spool, e, 'ios')).toBe('duplicate');
    expect(await jobsOf(spool, e.message_id)).toBe(1);
    await spool.close();
  });

  it('expires by time: inside the window a duplicate, after it (also across a restart) a new event', async () => {
    const { clock, open } = clocked({ dedupe: { windowMs: hour } });
    const e = makeEvent('u1');
    const f = makeEvent('u2');
    let spool = open();
    expect(await add(spool, e)).toBe('stored');
    clock.t += hour / 2;
    expect(await add(spool, f)).toBe('stored');
    expect(await add(spool, e)).toBe('duplicate');
    clock.t += hour / 2 + 1_000;
    // e is older than the window now, f is not.
    expect(await add(spool, e)).toBe('stored');
    expect(await add(spool, f)).toBe('duplicate');
    await spool.close();
    clock.t += hour / 2;
    spool = open();
    // Rebuilt on open from the events inside the window: the second e (stored 30 min ago) only.
    expect(await add(spool, e)).toBe('duplicate');
    expect(await add(spool, f)).toBe('stored');
    await spool.close();
  });

  it('is bounded by count: past max_ids the oldest are forgotten first (also when rebuilt on open)', async () => {
    const { open } = clocked({ dedupe: { maxIds: 100 } });
    const events = Array.from({ length: 150 }, (_, i) => makeEvent(`u${i}`));
    let spool = open();
    for (const e of events) expect(await add(spool, e)).toBe('stored');
    expect(await add(spool, events[149]!)).toBe('duplicate');
    expect(await add(spool, events[50]!)).toBe('duplicate');
    // The first 50 were forgotten: stored again.
    expect(await add(spool, events[0]!)).toBe('stored');
    await spool.close();
    spool = open();
    expect(await add(spool, events[149]!)).toBe('duplicate');
    expect(await add(spool, events[1]!)).toBe('stored');
    await spool.close();
  });

  it('a duplicate within one request or one group commit is stored once', async () => {
    const { open } = clocked();
    const spool = open();
    const e = makeEvent('u1');
    const results = await Promise.all([add(spool, e), add(spool, e), spool.append([e, e].map((event) => ({ event, integrations: ['a'], source: 'web' })))]);
    expect(results.slice(0, 2).sort()).toEqual(['duplicate', 'stored']);
    expect((results[2] as { outcomes: string[] }).outcomes).toEqual(['duplicate', 'duplicate']);
    expect(await jobsOf(spool, e.message_id)).toBe(1);
    await spool.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignalEvent } from '@signal/core';
import { openSqliteSpool } from '../../src/spool/sqlite.js';
import { makeEvent, spoolContract } from './contract.js';
import { findEventsContract } from './find-events-contract.js';
import { findEventsScanLimit } from '../../src/spool/sqlite/find-events.js';
import { dueSql } from '../../src/spool/sqlite/claims.js';

let dir = '';
const file = () => join(dir, 'nested', 'signal.db');

spoolContract(
  'sqlite',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'signal-spool-'));
    return openSqliteSpool({ path: file() });
  },
  async () => rmSync(dir, { recursive: true, force: true }),
  { reopen: async () => openSqliteSpool({ path: file() }) },
);

findEventsContract(
  'sqlite',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'signal-spool-'));
    return openSqliteSpool({ path: file() });
  },
  async () => rmSync(dir, { recursive: true, force: true }),
);

describe('sqlite spool specifics', () => {
  let tmp = '';
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const open = () => {
    tmp = mkdtempSync(join(tmpdir(), 'signal-spool-'));
    return openSqliteSpool({ path: join(tmp, 'a', 'b', 'spool.db') });
  };

  it('group commit: concurrent appends share transactions, and every one is in the file when it resolves', async () => {
    const spool = open();
    const events = Array.from({ length: 50 }, (_, i) => makeEvent(`u${i}`));
    const before = spool.appendTransactions;
    const results = await Promise.all(events.map((event) => spool.append([{ event, integrations: ['a', 'b'], source: 'web' }])));
    expect(results.every((r) => r.outcomes[0] === 'stored')).toBe(true);
    const transactions = spool.appendTransactions - before;
    expect(transactions).toBeGreaterThan(0);
    expect(transactions).toBeLessThan(events.length);
    // Independent oracle: a second connection reads the committed rows.
    const reader = new Database(join(tmp, 'a', 'b', 'spool.db'), { readonly: true });
    expect((reader.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(50);
    expect((reader.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n).toBe(100);
    reader.close();
    await spool.close();
  });

  it('commits on its own thread: an append reaches the file while the main thread is blocked', async () => {
    const spool = open();
    const e = makeEvent('u1');
    const stored = spool.append([{ event: e, integrations: ['a'], source: 'web' }]);
    // Let the request leave (it is sent at the end of this turn), then block the event loop.
    await new Promise((r) => setImmediate(r));
    const reader = new Database(join(tmp, 'a', 'b', 'spool.db'), { readonly: true });
    const count = reader.prepare('SELECT COUNT(*) AS n FROM events WHERE message_id = ?');
    const giveUp = Date.now() + 20_000;
    let seen = 0;
    // A busy loop: nothing on this thread can run until it ends, so only another thread can commit.
    while (seen === 0 && Date.now() < giveUp) seen = (count.get(e.message_id) as { n: number }).n;
    reader.close();
    expect(seen).toBe(1);
    expect((await stored).outcomes).toEqual(['stored']);
    await spool.close();
  });

  it('claims are answered between appends: a claim sent amid a stream of appends does not wait for the later ones', async () => {
    const spool = open();
    await spool.append([{ event: makeEvent('u0'), integrations: ['a'], source: 'web' }]);
    const order: string[] = [];
    const appends: Promise<unknown>[] = [];
    for (let turn = 0; turn < 40; turn++) {
      const batch = Array.from({ length: 200 }, (_, i) => ({ event: makeEvent(`u${i}`), integrations: ['a'], source: 'web' }));
      appends.push(spool.append(batch).then(() => void order.push(`append ${turn}`)));
      if (turn === 5) appends.push(spool.claim('a', { limit: 1, now: Date.now() + 1_000, leaseMs: 60_000 }).then(() => void order.push('claim')));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(appends);
    expect(order.indexOf('claim')).toBeGreaterThan(-1);
    expect(order.indexOf('claim')).toBeLessThan(order.indexOf('append 39'));
    await spool.close();
  });

  it('runs in WAL mode with synchronous=FULL (a 200 means on disk)', async () => {
    const spool = open();
    await spool.append([{ event: makeEvent('u1'), integrations: ['a'], source: 'web' }]);
    const reader = new Database(join(tmp, 'a', 'b', 'spool.db'), { readonly: true });
    expect(reader.pragma('journal_mode', { simple: true })).toBe('wal');
    reader.close();
    await spool.close();
  });

  it('claims through indexes, never by scanning the whole jobs table', async () => {
    const spool = open();
    await spool.close();
    const db = new Database(join(tmp, 'a', 'b', 'spool.db'));
    const plan = (sql: string, ...args: unknown[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join(' | ');
    const due = plan(dueSql.first, 'a', 1, 10);
    // After a cursor: the rest of its (next_at, state) run seeks on id too (a row-value comparison
    // over all three columns seeks on two, then reads the run up to the cursor), then the runs after it.
    const sameKey = plan(dueSql.sameKey, 'a', 1, 'pending', 5, 10);
    const laterKeys = plan(dueSql.laterKeys, 'a', 1, 0, 'pending', 10);
    expect(sameKey).toContain('COVERING INDEX jobs_due (integration=? AND next_at=? AND state=? AND id>?)');
    expect(laterKeys).toContain('COVERING INDEX jobs_due');
    for (const p of [due, sameKey, laterKeys]) expect(p).not.toContain('TEMP B-TREE');
    expect(due).toContain('jobs_due');
    const holds = plan(`SELECT user_key, id, state, next_at FROM jobs WHERE integration = ? AND state = 'retry' AND user_key IN (SELECT value FROM json_each(?)) ORDER BY user_key, id`, 'a', '["u"]');
    expect(holds).toContain('COVERING INDEX jobs_hold');
    expect(holds).not.toContain('TEMP B-TREE');
    db.close();
  });

  it('traits memory across the appends of one group commit: an identify reaches the events after it, a duplicate identify changes nothing', async () => {
    const spool = open();
    const add = (event: SignalEvent) => spool.append([{ event, integrations: ['a', 'b'], source: 'web' }]);
    const identify = makeEvent('u1', { type: 'identify', event: undefined, traits: { email: 'a@x.test' } });
    const stale = makeEvent('u1', { type: 'identify', event: undefined, traits: { email: 'old@x.test' } });
    await add(stale);
    // Same event-loop turn: one transaction (checked below), read and written in append order.
    const before = spool.appendTransactions;
    const track = makeEvent('u1');
    const replayed = { ...stale, traits: { email: 'replayed@x.test' } } as SignalEvent;
    const results = await Promise.all([add(identify), add(replayed), add(track), add({ ...track })]);
    expect(spool.appendTransactions - before).toBe(1);
    expect(results.map((r) => r.outcomes)).toEqual([['stored'], ['duplicate'], ['stored'], ['duplicate']]);
    const after = makeEvent('u1');
    await add(after);
    const jobs = await spool.claim('b', { limit: 10, now: Date.now() + 1_000, leaseMs: 60_000 });
    const traitsOf = (id: string) => (jobs.find((j) => j.messageId === id)!.event.context as { traits?: unknown }).traits;
    expect(traitsOf(track.message_id)).toEqual({ email: 'a@x.test' });
    expect(traitsOf(after.message_id)).toEqual({ email: 'a@x.test' });
    // One job per integration, in append order (ids follow the order events were appended in).
    expect(jobs.map((j) => j.messageId)).toEqual([stale.message_id, identify.message_id, track.message_id, after.message_id]);
    await spool.close();
  });

  it('results asked for while one is with the writer are all recorded, each as its own attempt, also when close() follows at once', async () => {
    const path = join((tmp = mkdtempSync(join(tmpdir(), 'signal-spool-'))), 'spool.db');
    const spool = openSqliteSpool({ path });
    const events = Array.from({ length: 50 }, (_, i) => makeEvent(`u${i}`));
    await spool.append(events.map((event) => ({ event, integrations: ['a'], source: 'web' })));
    const jobs = await spool.claim('a', { limit: 50, now: Date.now() + 1_000, leaseMs: 60_000 });
    expect(jobs).toHaveLength(50);
    // One result per event-loop turn, as an unbatched webhook's requests end: most wait for the one before.
    const completeEach = async (some: typeof jobs): Promise<Promise<void>[]> => {
      const recorded: Promise<void>[] = [];
      for (const job of some) {
        recorded.push(spool.complete([{ job, state: 'delivered', attempt: { at: 1, result: { status: 'delivered' } } }]));
        await new Promise((resolve) => setImmediate(resolve));
      }
      return recorded;
    };
    // Held ones go once the one ahead is answered...
    await Promise.all(await completeEach(jobs.slice(0, 25)));
    // ...or with close().
    const last = await completeEach(jobs.slice(25));
    const closing = spool.close();
    await Promise.all(last);
    await closing;
    const db = new Database(path, { readonly: true });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count(`SELECT COUNT(*) AS n FROM jobs WHERE state = 'delivered'`)).toBe(50);
    expect(count('SELECT COUNT(*) AS n FROM attempt_log')).toBe(50);
    db.close();
  });

  it('an event that cannot be stored fails its own append only', async () => {
    const spool = open();
    const good = makeEvent('u1');
    const bad = makeEvent('u2', { properties: { big: 1n } as unknown as Record<string, unknown> });
    const [ok, failed] = await Promise.allSettled([
      spool.append([{ event: good, integrations: ['a'], source: 'web' }]),
      spool.append([{ event: bad, integrations: ['a'], source: 'web' }]),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(failed.status).toBe('rejected');
    expect((failed as PromiseRejectedResult).reason.name).toBe('SpoolError');
    expect((await spool.claim('a', { limit: 10, now: Date.now() + 1, leaseMs: 1000 })).map((j) => j.messageId)).toEqual([good.message_id]);
    await spool.close();
  });
});

describe('sqlite findEvents', () => {
  it('findEvents examines a bounded number of events per call and says where to go on, so a search never holds the process for long', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'signal-spool-'));
    const spool = openSqliteSpool({ path: join(tmp, 'spool.db') });
    const needle = makeEvent('needle-user');
    await spool.append([{ event: needle, integrations: ['a'], source: 'web' }]);
    const hay = Array.from({ length: findEventsScanLimit + 10 }, (_, i) => ({ event: makeEvent(`hay-${i}`), integrations: ['a'], source: 'web' }));
    await spool.append(hay);
    const first = await spool.findEvents({ user: 'needle-user' });
    expect(first.events).toEqual([]);
    expect(first.next).toBeDefined();
    const second = await spool.findEvents({ user: 'needle-user', before: first.next! });
    expect(second.events.map((e) => e.messageId)).toEqual([needle.message_id]);
    expect(second.next).toBeUndefined();
    // A message id goes through the message index: found at once, however old.
    expect((await spool.findEvents({ messageId: needle.message_id })).events).toHaveLength(1);
    await spool.close();
    rmSync(tmp, { recursive: true, force: true });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignalEvent } from '@signal/core';
import { openSqliteSpool } from '../../src/spool/sqlite.js';
import { makeEvent, spoolContract } from './contract.js';
import { findEventsContract } from './find-events-contract.js';
import { findEventsScanLimit } from '../../src/spool/sqlite-find-events.js';

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
    const due = plan(`SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') AND next_at <= ? ORDER BY next_at, state, id LIMIT 10`, 'a', 1);
    const page2 = plan(
      `SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') AND next_at <= ? AND (next_at, state, id) > (?, ?, ?) ORDER BY next_at, state, id LIMIT 10`,
      'a', 1, 0, 'pending', 0,
    );
    expect(page2).toContain('jobs_due');
    expect(page2).not.toContain('TEMP B-TREE');
    expect(due).toContain('jobs_due');
    expect(due).not.toContain('TEMP B-TREE');
    const holds = plan(`SELECT id, state, next_at FROM jobs WHERE integration = ? AND user_key = ? AND state IN ('inflight', 'retry') ORDER BY id`, 'a', 'u');
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

  it('a store that one bad request breaks does not fail the other appends of its group', async () => {
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

describe('sqlite spool query plans', () => {
  it('stats count from indexes alone (no table rows read at 1M queued)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'signal-spool-'));
    const path = join(tmp, 'spool.db');
    await openSqliteSpool({ path }).close();
    const db = new Database(path);
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    for (const sql of [
      `SELECT integration, SUM(state = 'pending') AS pending, SUM(state = 'retry') AS retry, MIN(id) AS oldest FROM jobs WHERE state IN ('pending', 'retry') GROUP BY integration`,
      `SELECT integration, COUNT(*) AS n, MIN(id) AS oldest FROM jobs WHERE state = 'inflight' GROUP BY integration`,
      `SELECT integration, state, COUNT(*) AS n FROM jobs WHERE state IN ('delivered', 'rejected', 'dropped', 'dead') GROUP BY integration, state`,
    ]) {
      expect(plan(sql)).toContain('COVERING INDEX');
      expect(plan(sql)).not.toContain('TEMP B-TREE');
    }
    // An event's jobs (event detail, replay by message id, pruning) by its seq, never by scanning jobs.
    for (const sql of [
      `SELECT * FROM jobs WHERE event_seq = 1 ORDER BY id`,
      `UPDATE jobs SET state = 'pending' WHERE state = 'dead' AND event_seq IN (SELECT seq FROM events WHERE message_id IN ('m'))`,
      `DELETE FROM events WHERE seq IN (SELECT value FROM json_each('[1]')) AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.event_seq = events.seq)`,
    ]) {
      expect(plan(sql)).toContain('jobs_event');
      expect(plan(sql)).not.toMatch(/SCAN jobs\b/);
    }
    // The delivery log's common query: newest delivered jobs of one integration.
    const log = plan(`SELECT * FROM jobs WHERE integration = 'a' AND state IN ('delivered', 'rejected', 'dropped', 'dead') AND state IN ('delivered') ORDER BY id DESC LIMIT 50`);
    expect(log).toContain('jobs_final');
    expect(log).not.toContain('TEMP B-TREE');
    db.close();
    rmSync(tmp, { recursive: true, force: true });
  });
});

describe('sqlite spool schema upgrade', () => {
  it('a version 3/4 file upgrades on open: jobs_message gone, jobs_event built, events rebuilt to dedupe per source with their seqs', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'signal-spool-'));
    const path = join(tmp, 'spool.db');
    const spool = openSqliteSpool({ path });
    const e = makeEvent('u1');
    await spool.append([{ event: e, integrations: ['a', 'b'], source: 'web' }]);
    await spool.close();
    // Turn it back into what version 3 left on disk: message_id unique across sources, jobs_message.
    const old = new Database(path);
    old.pragma('foreign_keys = OFF');
    old.exec(`DROP INDEX jobs_event; CREATE INDEX jobs_message ON jobs(message_id); ALTER TABLE jobs DROP COLUMN batch_key;
      CREATE TABLE events_old (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE, source TEXT NOT NULL, body TEXT NOT NULL, received_at INTEGER NOT NULL);
      INSERT INTO events_old SELECT seq, message_id, source, body, received_at FROM events; DROP TABLE events; ALTER TABLE events_old RENAME TO events;`);
    const seqBefore = (old.prepare('SELECT seq FROM events').get() as { seq: number }).seq;
    old.pragma('user_version = 3');
    old.close();
    const reopened = openSqliteSpool({ path });
    expect((await reopened.event(e.message_id))!.deliveries.map((d) => d.integration)).toEqual(['a', 'b']);
    expect((await reopened.append([{ event: { ...makeEvent('u2'), message_id: e.message_id }, integrations: ['a'], source: 'ios' }])).outcomes).toEqual(['stored']);
    expect((await reopened.append([{ event: e, integrations: ['a'], source: 'web' }])).outcomes).toEqual(['duplicate']);
    await reopened.close();
    const db = new Database(path, { readonly: true });
    const indexes = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'`).all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toContain('jobs_event');
    expect(indexes).not.toContain('jobs_message');
    expect((db.prepare('SELECT seq FROM events WHERE source = ?').get('web') as { seq: number }).seq).toBe(seqBefore);
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    expect((db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'jobs'`).get() as { sql: string }).sql).toContain('REFERENCES events(seq)');
    db.close();
    rmSync(tmp, { recursive: true, force: true });
  });
});

describe('sqlite spool retention', () => {
  it('prune deletes old final jobs with their attempts, events and exchanges, and keeps everything still needed', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'signal-spool-'));
    const path = join(tmp, 'spool.db');
    let t = 1_000_000;
    const spool = openSqliteSpool({ path, now: () => t });
    const oldDone = makeEvent('u1');
    const shared = makeEvent('u2');
    const open = makeEvent('u3');
    await spool.append([
      { event: oldDone, integrations: ['a'], source: 'web' },
      { event: shared, integrations: ['a', 'b'], source: 'web' },
      { event: open, integrations: ['a'], source: 'web' },
    ]);
    const jobs = await spool.claim('a', { limit: 10, now: t, leaseMs: 60_000 });
    const exchange = { request: { method: 'POST', url: 'u', headers: {}, body: 'b' }, durationMs: 1 };
    const done = (job: (typeof jobs)[number]) => ({ job, state: 'delivered' as const, attempt: { at: t, result: { status: 'delivered' as const }, exchange } });
    await spool.complete([done(jobs[0]!), done(jobs[1]!)]);
    t += 10_000;
    expect(await spool.prune({ before: t - 20_000 })).toBe(0);
    expect(await spool.prune({ before: t, limit: 1 })).toBe(1);
    expect(await spool.prune({ before: t })).toBe(1);
    expect(await spool.prune({ before: t })).toBe(0);
    await spool.close();
    // Oracle: the file itself.
    const db = new Database(path, { readonly: true });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(db.prepare('SELECT message_id FROM events ORDER BY seq').all().map((r) => (r as { message_id: string }).message_id)).toEqual([shared.message_id, open.message_id]);
    expect(count(`SELECT COUNT(*) AS n FROM jobs`)).toBe(2);
    expect(count(`SELECT COUNT(*) AS n FROM jobs WHERE state = 'delivered'`)).toBe(0);
    expect(count(`SELECT COUNT(*) AS n FROM attempts`)).toBe(0);
    expect(count(`SELECT COUNT(*) AS n FROM exchanges`)).toBe(0);
    db.close();
    rmSync(tmp, { recursive: true, force: true });
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
    // A message id is an index lookup: found at once, however old.
    expect((await spool.findEvents({ messageId: needle.message_id })).events).toHaveLength(1);
    await spool.close();
    rmSync(tmp, { recursive: true, force: true });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteSpool } from '../../../src/spool/sqlite.js';
import { makeEvent } from '../contract.js';

let tmp = '';
afterEach(() => rmSync(tmp, { recursive: true, force: true }));
const fresh = () => {
  tmp = mkdtempSync(join(tmpdir(), 'signal-schema-'));
  return join(tmp, 'spool.db');
};

/** What schema version 5 (before this change) left on disk, verbatim. */
const v5 = `
-- message_id dedupes per source: two sources may use the same id for two different events.
-- (message_id first: the same index serves lookups by message id.)
CREATE TABLE IF NOT EXISTS events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id  TEXT NOT NULL,
  source      TEXT NOT NULL,
  body        TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  UNIQUE (message_id, source)
);

CREATE TABLE IF NOT EXISTS jobs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  event_seq        INTEGER NOT NULL REFERENCES events(seq),
  integration      TEXT NOT NULL,
  message_id       TEXT NOT NULL,
  user_key         TEXT NOT NULL,
  event_type       TEXT NOT NULL,
  event_name       TEXT,
  state            TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  first_attempt_at INTEGER,
  next_at          INTEGER NOT NULL,
  lease_until      INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  last_result      TEXT,
  -- the batch to retry with (idempotent batches; the engine's tag, cleared by any other outcome)
  batch_key        TEXT
);
-- due jobs, in due order (state last, so stats count from the index alone)
CREATE INDEX IF NOT EXISTS jobs_due ON jobs(integration, next_at, state) WHERE state IN ('pending', 'retry');
-- per-user order: only the jobs that can hold a user back (in flight, retrying). Kept small on
-- purpose: an index of every open job by user is written on pages scattered across the whole
-- queue by each claim and result (megabytes of WAL per batch at 1M queued); this one stays hot.
CREATE INDEX IF NOT EXISTS jobs_hold ON jobs(integration, user_key, id, state, next_at) WHERE state IN ('inflight', 'retry');
-- expired leases
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs(integration, lease_until) WHERE state = 'inflight';
-- the delivery log and stats of final jobs (open ones use the indexes above; a claim then touches none of this)
CREATE INDEX IF NOT EXISTS jobs_final ON jobs(integration, state, id) WHERE state IN ('delivered', 'rejected', 'dropped', 'dead');
-- an event's jobs (event detail, replay by message id, pruning). By event_seq, not message_id: seqs only
-- grow, so appends write this index at its end; random message ids (UUIDs) would dirty pages all over it
-- in every commit (measured: ~2x the WAL bytes and CPU per appended event at 350k events).
CREATE INDEX IF NOT EXISTS jobs_event ON jobs(event_seq);

-- One row per batch request: a 1000-record request body is stored once, not per job.
CREATE TABLE IF NOT EXISTS exchanges (
  id   INTEGER PRIMARY KEY AUTOINCREMENT,
  body TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS attempts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id      INTEGER NOT NULL REFERENCES jobs(id),
  at          INTEGER NOT NULL,
  result      TEXT NOT NULL,
  exchange_id INTEGER REFERENCES exchanges(id),
  payload     TEXT
);
CREATE INDEX IF NOT EXISTS attempts_job ON attempts(job_id, id);
-- pruning: exchanges no attempt refers to any more
CREATE INDEX IF NOT EXISTS attempts_exchange ON attempts(exchange_id) WHERE exchange_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS user_traits (
  user_key   TEXT PRIMARY KEY,
  traits     TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

describe('sqlite spool schema upgrade', () => {
  it('a version 5 file upgrades on open: ids still dedupe and are found, attempts and exchanges keep their detail, seqs and jobs kept', async () => {
    const path = fresh();
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(v5);
    const e = makeEvent('u1');
    const other = makeEvent('u2');
    const at = 1_000;
    old.prepare('INSERT INTO events (seq, message_id, source, body, received_at) VALUES (?, ?, ?, ?, ?)').run(7, e.message_id, 'web', JSON.stringify(e), Date.now());
    old.prepare('INSERT INTO events (seq, message_id, source, body, received_at) VALUES (?, ?, ?, ?, ?)').run(8, other.message_id, 'web', JSON.stringify(other), Date.now());
    const job = (id: number, seq: number, m: string, state: string, attempts: number) =>
      old
        .prepare(`INSERT INTO jobs (id, event_seq, integration, message_id, user_key, event_type, event_name, state, attempts, first_attempt_at, next_at, created_at, updated_at, last_result) VALUES (?, ?, 'a', ?, 'u', 'track', 'Order Completed', ?, ?, ?, ?, ?, ?, ?)`)
        .run(id, seq, m, state, attempts, attempts > 0 ? at : null, at, at, at, attempts > 0 ? '{"status":"delivered"}' : null);
    job(3, 7, e.message_id, 'delivered', 2);
    job(4, 8, other.message_id, 'pending', 0);
    const exchange = { request: { method: 'POST', url: 'https://vendor.test/x', headers: {}, body: '{"d":[1]}' }, response: { status: 500, headers: {}, body: 'oops' }, durationMs: 3 };
    old.prepare('INSERT INTO exchanges (id, body) VALUES (1, ?)').run(JSON.stringify(exchange));
    old.prepare('INSERT INTO attempts (job_id, at, result, exchange_id, payload) VALUES (3, ?, ?, 1, ?)').run(at, '{"status":"retry","reason":"HTTP 500"}', '{"evtName":"Charged"}');
    old.prepare('INSERT INTO attempts (job_id, at, result, exchange_id, payload) VALUES (3, ?, ?, NULL, NULL)').run(at + 1, '{"status":"delivered"}');
    old.pragma('user_version = 5');
    old.close();

    const spool = openSqliteSpool({ path });
    const detail = await spool.event(e.message_id);
    expect(detail!.event).toEqual(e);
    expect(detail!.deliveries.map((d) => [d.id, d.state, d.attempts])).toEqual([['3', 'delivered', 2]]);
    expect(detail!.deliveries[0]!.history).toEqual([
      { at, result: { status: 'retry', reason: 'HTTP 500' }, exchange, payload: { evtName: 'Charged' } },
      { at: at + 1, result: { status: 'delivered' } },
    ]);
    // Inside the dedupe window: the old ids are remembered; another source's same id is new.
    expect((await spool.append([{ event: e, integrations: ['a'], source: 'web' }])).outcomes).toEqual(['duplicate']);
    expect((await spool.append([{ event: e, integrations: ['a'], source: 'ios' }])).outcomes).toEqual(['stored']);
    const jobs = await spool.claim('a', { limit: 10, now: Date.now() + 1_000, leaseMs: 60_000 });
    expect(jobs.map((j) => [j.id, j.messageId])).toEqual([['4', other.message_id], ['5', e.message_id]]);
    await spool.close();

    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['events', 'jobs', 'attempt_log', 'event_keys']));
    expect(tables).not.toContain('attempts');
    expect(tables).not.toContain('exchanges');
    expect((db.prepare('SELECT seq FROM events WHERE source = ? ORDER BY seq').all('web') as { seq: number }[]).map((r) => r.seq)).toEqual([7, 8]);
    // No index keyed by message id on events any more (that was the per-event random write).
    const indexes = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'`).all() as { name: string }[];
    expect(indexes).toEqual([]);
    db.close();
  });

  it('a version 3 file (before per-source ids and batch tags) upgrades through 5 to 6', async () => {
    const path = fresh();
    const old = new Database(path);
    old.exec(v5.replace(/UNIQUE \(message_id, source\)/, 'UNIQUE (message_id)').replace(/,\s*-- the batch to retry with[^\n]*\n\s*batch_key\s+TEXT/, '').replace(/CREATE INDEX IF NOT EXISTS jobs_event ON jobs\(event_seq\);/, 'CREATE INDEX jobs_message ON jobs(message_id);'));
    const e = makeEvent('u1');
    old.prepare('INSERT INTO events (message_id, source, body, received_at) VALUES (?, ?, ?, ?)').run(e.message_id, 'web', JSON.stringify(e), Date.now());
    old.prepare(`INSERT INTO jobs (event_seq, integration, message_id, user_key, event_type, state, next_at, created_at, updated_at) VALUES (1, 'a', ?, 'u1', 'track', 'pending', 1, 1, 1)`).run(e.message_id);
    old.pragma('user_version = 3');
    old.close();
    const spool = openSqliteSpool({ path });
    expect((await spool.event(e.message_id))!.deliveries.map((d) => d.integration)).toEqual(['a']);
    expect((await spool.append([{ event: e, integrations: ['a'], source: 'web' }])).outcomes).toEqual(['duplicate']);
    await spool.close();
    const db = new Database(path, { readonly: true });
    const indexes = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'`).all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toContain('jobs_event');
    expect(indexes).not.toContain('jobs_message');
    expect((db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'jobs'`).get() as { sql: string }).sql).toContain('batch_key');
    db.close();
  });

  it('refuses a file written by a newer schema, saying what to do', () => {
    const path = fresh();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openSqliteSpool({ path })).toThrow(/newer Signal.*upgrade @signal\/runner/);
  });
});

describe('sqlite spool query plans', () => {
  it('stats, the delivery log and event lookups read indexes, never the whole jobs or events table (jobs in flight are counted in memory)', async () => {
    const path = fresh();
    await openSqliteSpool({ path }).close();
    const db = new Database(path);
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    const final = "state NOT IN ('pending', 'inflight', 'retry')";
    for (const sql of [
      `SELECT integration, SUM(state = 'pending') AS pending, SUM(state = 'retry') AS retry, MIN(id) AS oldest FROM jobs WHERE state IN ('pending', 'retry') GROUP BY integration`,
      `SELECT integration, state, COUNT(*) AS n FROM jobs WHERE ${final} GROUP BY integration, state`,
    ]) {
      expect(plan(sql)).toContain('COVERING INDEX');
      expect(plan(sql)).not.toContain('TEMP B-TREE');
    }
    // An event's jobs (event detail, replay, pruning) by its seq, never by scanning jobs.
    for (const sql of [`SELECT * FROM jobs WHERE event_seq = 1 ORDER BY id`, `UPDATE jobs SET state = 'pending' WHERE state = 'dead' AND event_seq IN (SELECT value FROM json_each('[1]'))`]) {
      expect(plan(sql)).toContain('jobs_event');
      expect(plan(sql)).not.toMatch(/SCAN jobs\b/);
    }
    // The delivery log's common query: newest delivered jobs of one integration, in index order.
    const log = plan(`SELECT id, state, last_result FROM jobs WHERE integration = 'a' AND ${final} AND state = 'delivered' ORDER BY id DESC LIMIT 50`);
    expect(log).toContain('jobs_final');
    expect(log).not.toContain('TEMP B-TREE');
    // Lookup by message id: one primary-key seek per run of event_keys, and the tail by seq range.
    const runs = plan(`WITH RECURSIVE runs(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM runs WHERE n < 100) SELECT k.seq FROM runs JOIN event_keys k ON k.bucket = runs.n AND k.id_hash = 5`);
    expect(runs).toMatch(/SEARCH k USING PRIMARY KEY \(bucket=\? AND id_hash=\?\)/);
    expect(plan('SELECT seq FROM events WHERE seq >= 4096 AND id_hash = 5')).toContain('SEARCH events USING INTEGER PRIMARY KEY (rowid>?)');
    db.close();
  });
});

import type Database from 'better-sqlite3';
import { SpoolError } from '../errors.js';
import { idHash } from './id-hash.js';

/**
 * SQLite spool schema. Jobs carry two times: `next_at` (when a pending or
 * retry job is due; a retry's stored backoff, so it survives restarts) and
 * `lease_until` (while in flight; a crashed runner's jobs come back after it).
 * The partial indexes keep claim cost independent of how many jobs are final. Leases are in the
 * writer's memory (leases.ts): the file never says `inflight` (lease_until is unused since v6).
 * Every write of an append lands at the end of a B-tree (seqs and ids only grow):
 * no index is keyed by a message id (see dedupe-window.ts and message-index.ts).
 */
export const schemaVersion = 7;

/**
 * The condition of the jobs_final index, as every query of final jobs must spell it (SQLite uses a
 * partial index only for a query carrying its condition). NOT IN the open states rather than IN the
 * final ones: a query for one final state then seeks (integration, state) and reads ids in order;
 * with an IN list there SQLite may choose to sort, depending on its estimate of the row width.
 */
export const finalCondition = "state NOT IN ('pending', 'inflight', 'retry')";

/** Events per run of the message-id lookup index (event_keys, see message-index.ts). */
export const keyBucketSize = 4096;

/**
 * Indexes whose definition changed since version 1 (tables did not), or that are gone: dropped on
 * open, and rebuilt if the schema below still has them. (v4: jobs_message replaced by jobs_event; v6: jobs_final's condition, jobs_hold only retries, jobs_lease gone.)
 */
export const rebuiltIndexes = ['jobs_due', 'jobs_user', 'jobs_hold', 'jobs_state', 'jobs_final', 'jobs_message', 'jobs_lease'];

/**
 * Table changes, by the version that introduced them, run on open for files older than that.
 * SQLite cannot drop a constraint or reorder columns, so tables are rebuilt with their rows and
 * keys (SQLite's documented procedure: new table, copy, drop, rename; foreign keys are off on the
 * spool's connection).
 * v5: message_id dedupes per source (was UNIQUE(message_id)); jobs remember their idempotent retry batch (batch_key).
 * v6: no unique index on message ids: events carry a hash of the id (id_hash) and dedupe in memory
 *     over a window; lookups by id use event_keys. Attempts are stored one row per recorded batch
 *     (attempt_log, with the batch's exchanges) and each job lists its attempts in jobs.history,
 *     instead of a row per job and attempt plus a row per exchange.
 * v7: attempt_log columns of 4 KB or more are written deflated (log-codec.ts); earlier rows stay
 *     JSON text and are read as such. No table changes: the version only keeps an older runner,
 *     which would read the deflated rows as JSON, off the file.
 */
export const tableMigrations: { version: number; sql: string }[] = [
  {
    version: 5,
    sql: `
CREATE TABLE events_v5 (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id  TEXT NOT NULL,
  source      TEXT NOT NULL,
  body        TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  UNIQUE (message_id, source)
);
INSERT INTO events_v5 (seq, message_id, source, body, received_at) SELECT seq, message_id, source, body, received_at FROM events;
DROP TABLE events;
ALTER TABLE events_v5 RENAME TO events;
ALTER TABLE jobs ADD COLUMN batch_key TEXT;
`,
  },
  {
    version: 6,
    sql: `
CREATE TABLE events_v6 (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id  TEXT NOT NULL,
  source      TEXT NOT NULL,
  id_hash     INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  body        TEXT NOT NULL
);
INSERT INTO events_v6 (seq, message_id, source, id_hash, received_at, body)
  SELECT seq, message_id, source, signal_id_hash(message_id), received_at, body FROM events ORDER BY seq;
DROP TABLE events;
ALTER TABLE events_v6 RENAME TO events;
CREATE TABLE event_keys (bucket INTEGER NOT NULL, id_hash INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (bucket, id_hash, seq)) WITHOUT ROWID;
INSERT INTO event_keys (bucket, id_hash, seq)
  SELECT seq / ${keyBucketSize}, id_hash, seq FROM events WHERE seq < (SELECT (MAX(seq) / ${keyBucketSize}) * ${keyBucketSize} FROM events) ORDER BY seq / ${keyBucketSize}, id_hash, seq;
CREATE TABLE spool_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO spool_meta (key, value) SELECT 'keys_indexed_below', COALESCE((MAX(seq) / ${keyBucketSize}) * ${keyBucketSize}, 0) FROM events;

-- Leases live in the writer's memory now: a job the file still calls in flight is due again.
UPDATE jobs SET state = CASE WHEN attempts > 0 THEN 'retry' ELSE 'pending' END, lease_until = NULL WHERE state = 'inflight';
ALTER TABLE jobs ADD COLUMN history TEXT;
CREATE TABLE attempt_log (id INTEGER PRIMARY KEY AUTOINCREMENT, records TEXT NOT NULL, exchanges TEXT NOT NULL, refs INTEGER NOT NULL);
INSERT INTO attempt_log (id, records, exchanges, refs)
  SELECT a.id,
    json_array(json_set(json_object('at', a.at, 'result', json(a.result)),
      CASE WHEN a.payload IS NULL THEN '$.__none' ELSE '$.payload' END, json(COALESCE(a.payload, 'null')),
      CASE WHEN x.body IS NULL THEN '$.__none' ELSE '$.x' END, 0)),
    CASE WHEN x.body IS NULL THEN '[]' ELSE json_array(json(x.body)) END,
    1
  FROM attempts a LEFT JOIN exchanges x ON x.id = a.exchange_id ORDER BY a.id;
UPDATE attempt_log SET records = json_remove(records, '$[0].__none') WHERE records -> '$[0].__none' IS NOT NULL;
UPDATE jobs SET history = (SELECT group_concat(ref, ',') FROM (SELECT id || ':0' AS ref FROM attempts WHERE job_id = jobs.id ORDER BY id))
  WHERE id IN (SELECT job_id FROM attempts);
DROP TABLE attempts;
DROP TABLE exchanges;
`,
  },
  { version: 7, sql: '' },
];

export const schema = `
-- message_id dedupes per source, in memory over a window (dedupe-window.ts): no unique index, so an
-- append writes only at the end of this table. id_hash (of message_id) rebuilds that memory on
-- open and finds events by id (event_keys); columns before body, so reading them skips the body.
CREATE TABLE IF NOT EXISTS events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id  TEXT NOT NULL,
  source      TEXT NOT NULL,
  id_hash     INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  body        TEXT NOT NULL
);
-- Lookup of events by message id: one sorted run per ${keyBucketSize} seqs, written once when the run
-- is complete (message-index.ts), so appends never dirty pages across a random-key index.
CREATE TABLE IF NOT EXISTS event_keys (
  bucket  INTEGER NOT NULL,
  id_hash INTEGER NOT NULL,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (bucket, id_hash, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS spool_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO spool_meta (key, value) VALUES ('keys_indexed_below', 0);

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
  -- (lease_until: unused since v6, leases are in the writer's memory)
  -- the batch to retry with (idempotent batches; the engine's tag, cleared by any other outcome)
  batch_key        TEXT,
  -- this job's attempts, oldest first: "<attempt_log id>:<index in its records>,…"
  history          TEXT
);
-- due jobs, in due order (id explicit, then user_key: a claim reads its page from the index alone; state
-- before them, so stats count from it too). Jobs in flight stay here (leases.ts): a claim writes nothing.
CREATE INDEX IF NOT EXISTS jobs_due ON jobs(integration, next_at, state, id, user_key) WHERE state IN ('pending', 'retry');
-- per-user order: the retries that hold a user back (jobs in flight hold it too; the writer keeps
-- those in memory, leases.ts). Kept small on
-- purpose: an index of every open job by user is written on pages scattered across the whole
-- queue by each claim and result (megabytes of WAL per batch at 1M queued); this one stays hot.
CREATE INDEX IF NOT EXISTS jobs_hold ON jobs(integration, user_key, id, state, next_at) WHERE state = 'retry';
-- the delivery log and stats of final jobs (open ones use the indexes above; a claim then touches none of this)
CREATE INDEX IF NOT EXISTS jobs_final ON jobs(integration, state, id) WHERE ${finalCondition};
-- an event's jobs (event detail, replay by message id, pruning). By event_seq, not message_id: seqs only
-- grow, so appends write this index at its end; random message ids (UUIDs) would dirty pages all over it
-- in every commit (measured: ~2x the WAL bytes and CPU per appended event at 350k events).
CREATE INDEX IF NOT EXISTS jobs_event ON jobs(event_seq);

-- One row per recorded batch of attempts (one complete() call): every attempt's {at, result, x, payload}
-- in one JSON array, and the requests/responses they share ("x" indexes exchanges), each deflated
-- when large (log-codec.ts; JSON text otherwise, and in rows written before v7). A 1000-record batch
-- is one row, not 1000 rows and index entries. refs: jobs still listing it (retention deletes it at 0).
CREATE TABLE IF NOT EXISTS attempt_log (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  records   TEXT NOT NULL,
  exchanges TEXT NOT NULL,
  refs      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS user_traits (
  user_key   TEXT PRIMARY KEY,
  traits     TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Opens (creates or upgrades) the spool file's schema on this connection. The v6 upgrade needs the
 * id hash as an SQL function, so it is registered here too.
 */
export function ensureSchema(db: Database.Database): void {
  db.function('signal_id_hash', { deterministic: true }, (text: unknown) => idHash(String(text)));
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === schemaVersion) return;
  if (version > schemaVersion) {
    throw new SpoolError(`the file was written by a newer Signal (schema ${version}; this one knows ${schemaVersion}). Fix: upgrade @signal/runner, or point storage.path at another file`);
  }
  db.transaction(() => {
    if (version !== 0) {
      for (const index of rebuiltIndexes) db.exec(`DROP INDEX IF EXISTS ${index}`);
      for (const migration of tableMigrations) if (version < migration.version) db.exec(migration.sql);
    }
    db.exec(schema);
    db.pragma(`user_version = ${schemaVersion}`);
  })();
}

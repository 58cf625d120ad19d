/**
 * SQLite spool schema. Jobs carry two times: `next_at` (when a pending or
 * retry job is due; a retry's stored backoff, so it survives restarts) and
 * `lease_until` (while in flight; a crashed runner's jobs come back after it).
 * The partial indexes keep claim cost independent of how many jobs are final.
 */
export const schemaVersion = 5;

/**
 * Indexes whose definition changed since version 1 (tables did not), or that are gone: dropped on
 * open, and rebuilt if the schema below still has them. (v4: jobs_message replaced by jobs_event.)
 */
export const rebuiltIndexes = ['jobs_due', 'jobs_user', 'jobs_hold', 'jobs_state', 'jobs_final', 'jobs_message'];

/**
 * Table changes, by the version that introduced them, run on open for files older than that.
 * v5: message_id dedupes per source, and jobs remember their idempotent retry batch (batch_key). Before,
 * message_id dedupes was UNIQUE(message_id), now UNIQUE(message_id, source). SQLite
 * cannot drop a constraint, so the table is rebuilt with its rows and sequence numbers (SQLite's
 * documented procedure: new table, copy, drop, rename; foreign keys are off on the spool's connection).
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
];

export const schema = `
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

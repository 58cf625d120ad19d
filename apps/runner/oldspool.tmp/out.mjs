// oldspool.tmp/sqlite.ts
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { userKeyOf } from "@signal/core";

// oldspool.tmp/errors.ts
import { SignalError } from "@signal/core";
var SpoolError = class extends SignalError {
  constructor(message, cause) {
    super(message);
    this.cause = cause;
  }
  cause;
  kind = "spool";
};

// oldspool.tmp/sqlite-schema.ts
var schemaVersion = 5;
var rebuiltIndexes = ["jobs_due", "jobs_user", "jobs_hold", "jobs_state", "jobs_final", "jobs_message"];
var tableMigrations = [
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
`
  }
];
var schema = `
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

// oldspool.tmp/traits.ts
function traitKeys(event) {
  const keys = [];
  if (event.anonymous_id !== void 0) keys.push(`a:${event.anonymous_id}`);
  if (event.user_id !== void 0) keys.push(`u:${event.user_id}`);
  return keys;
}
function mergeRemembered(found) {
  return Object.assign({}, ...found.filter((t) => t !== void 0));
}
function applyTraitsMemory(event, remembered) {
  const own = event.context.traits;
  const ownTraits = typeof own === "object" && own !== null && !Array.isArray(own) ? own : {};
  const isIdentify = event.type === "identify" && Object.keys(event.traits).length > 0;
  const known = isIdentify ? { ...remembered, ...event.traits } : remembered;
  const merged = { ...known, ...ownTraits };
  const stored = Object.keys(merged).length === 0 ? event : { ...event, context: { ...event.context, traits: merged } };
  return isIdentify ? { event: stored, remember: known } : { event: stored };
}

// oldspool.tmp/sqlite.ts
var finalStates = ["delivered", "rejected", "dropped", "dead"];
var sqlList = (names) => `(${names.map((n) => `'${n.replace(/[^a-z]/g, "")}'`).join(", ")})`;
var claimScanPages = 4;
function truncate(text, max) {
  return text.length <= max ? text : `${text.slice(0, max)}\u2026 [${text.length - max} more characters not kept]`;
}
function eventName(event) {
  return event.event ?? event.name ?? null;
}
function openSqliteSpool(options) {
  const now = options.now ?? Date.now;
  const maxBody = options.maxExchangeBodyChars ?? 64 * 1024;
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  let db;
  try {
    db = new Database(options.path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = OFF");
    db.pragma("cache_size = -32000");
    db.pragma("busy_timeout = 5000");
    if (options.maxPageCount !== void 0) db.pragma(`max_page_count = ${Math.floor(options.maxPageCount)}`);
    const version = db.pragma("user_version", { simple: true });
    if (version !== schemaVersion) {
      db.transaction(() => {
        if (version !== 0) {
          for (const index of rebuiltIndexes) db.exec(`DROP INDEX IF EXISTS ${index}`);
          for (const migration of tableMigrations) if (version < migration.version) db.exec(migration.sql);
        }
        db.exec(schema);
        db.pragma(`user_version = ${schemaVersion}`);
      })();
    }
  } catch (error) {
    throw new SpoolError(`cannot open the SQLite spool at ${options.path}: ${error.message}`, error);
  }
  const q = {
    // One lookup per append transaction for all its users (json_each: a JSON array of keys).
    findTraits: db.prepare(
      "SELECT user_key, traits FROM user_traits WHERE user_key IN (SELECT value FROM json_each(?))"
    ),
    saveTraits: db.prepare("INSERT INTO user_traits (user_key, traits, updated_at) VALUES (?, ?, ?) ON CONFLICT(user_key) DO UPDATE SET traits = excluded.traits, updated_at = excluded.updated_at"),
    insertEvent: db.prepare("INSERT OR IGNORE INTO events (message_id, source, body, received_at) VALUES (?, ?, ?, ?)"),
    // All jobs of an append transaction in one statement. json_each walks the array in order, so job ids
    // follow append order (per-user order depends on it); ORDER BY key would only add a sort.
    insertJobs: db.prepare(
      `INSERT INTO jobs (event_seq, integration, message_id, user_key, event_type, event_name, state, next_at, created_at, updated_at)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, 'pending', ?, ?, ? FROM json_each(?)`
    ),
    recoverLeases: db.prepare(
      `UPDATE jobs SET state = CASE WHEN attempts > 0 THEN 'retry' ELSE 'pending' END, lease_until = NULL
       WHERE integration = ? AND state = 'inflight' AND lease_until <= ?`
    ),
    // Order matches the jobs_due index exactly (ties: pending before retry, then arrival), so no sort.
    dueFirst: db.prepare(
      `SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') AND next_at <= ?
       ORDER BY next_at, state, id LIMIT ?`
    ),
    dueAfter: db.prepare(
      `SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') AND next_at <= ?
       AND (next_at, state, id) > (?, ?, ?) ORDER BY next_at, state, id LIMIT ?`
    ),
    userHolds: db.prepare(
      `SELECT id, state, next_at FROM jobs WHERE integration = ? AND user_key = ? AND state IN ('inflight', 'retry') ORDER BY id`
    ),
    // A job found held behind a user's retry moves to that retry time, so later scans skip it.
    deferMany: db.prepare(`UPDATE jobs SET next_at = d.value ->> 1 FROM json_each(?) AS d WHERE jobs.id = d.value ->> 0`),
    // Bulk statements take a JSON array of ids: one call per claim, not one per job.
    lease: db.prepare(`UPDATE jobs SET state = 'inflight', lease_until = ? WHERE id IN (SELECT value FROM json_each(?))`),
    leasedJobs: db.prepare(
      `SELECT j.id, j.integration, j.message_id, j.user_key, j.attempts, j.first_attempt_at, j.event_seq, j.batch_key, e.body
       FROM json_each(?) AS k JOIN jobs j ON j.id = k.value LEFT JOIN events e ON e.seq = j.event_seq ORDER BY k.key`
    ),
    renew: db.prepare(`UPDATE jobs SET lease_until = ? WHERE id IN (SELECT value FROM json_each(?)) AND state = 'inflight'`),
    countBacklog: db.prepare(`SELECT (SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'retry')) + (SELECT COUNT(*) FROM jobs WHERE state = 'inflight') AS n`),
    release: db.prepare(
      `UPDATE jobs SET state = CASE WHEN attempts > 0 THEN 'retry' ELSE 'pending' END, lease_until = NULL,
       next_at = COALESCE(?, next_at), updated_at = ? WHERE id = ? AND state = 'inflight'`
    ),
    // Jobs with the same outcome (a batch's delivered records) are finished in one statement.
    finishMany: db.prepare(
      `UPDATE jobs SET state = ?, attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?), next_at = COALESCE(?, next_at),
       lease_until = NULL, updated_at = ?, last_result = ?, batch_key = NULL WHERE id IN (SELECT value FROM json_each(?))`
    ),
    // Idempotent retries: each job's batch tag, after finishMany cleared the old ones ([[id, tag], ...]).
    tagBatches: db.prepare(`UPDATE jobs SET batch_key = d.value ->> 1 FROM json_each(?) AS d WHERE jobs.id = d.value ->> 0`),
    insertAttempt: db.prepare("INSERT INTO attempts (job_id, at, result, exchange_id, payload) VALUES (?, ?, ?, ?, ?)"),
    pruneCandidates: db.prepare(
      `SELECT j.id, j.event_seq, (SELECT json_group_array(exchange_id) FROM attempts a WHERE a.job_id = j.id AND exchange_id IS NOT NULL) AS exchanges
       FROM jobs j WHERE state IN ('delivered', 'rejected', 'dropped', 'dead') AND updated_at < ? LIMIT ?`
    ),
    pruneAttempts: db.prepare(`DELETE FROM attempts WHERE job_id IN (SELECT value FROM json_each(?))`),
    pruneJobs: db.prepare(`DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?))`),
    pruneEvents: db.prepare(
      `DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.event_seq = events.seq)`
    ),
    pruneExchanges: db.prepare(
      `DELETE FROM exchanges WHERE id IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM attempts WHERE attempts.exchange_id = exchanges.id)`
    ),
    insertExchange: db.prepare("INSERT INTO exchanges (body) VALUES (?)"),
    nextDue: db.prepare(
      `SELECT MIN(next_at) AS due FROM jobs WHERE integration = ? AND state IN ('pending', 'retry')`
    ),
    nextLease: db.prepare(
      `SELECT MIN(lease_until) AS due FROM jobs WHERE integration = ? AND state = 'inflight'`
    ),
    // One query per partial index, each grouped in that index's own order: counting reads
    // index entries only, with no sorter (1M queued jobs stay cheap to count).
    countOpen: db.prepare(
      `SELECT integration, SUM(state = 'pending') AS pending, SUM(state = 'retry') AS retry, MIN(id) AS oldest
       FROM jobs WHERE state IN ('pending', 'retry') GROUP BY integration`
    ),
    countInflight: db.prepare(
      `SELECT integration, COUNT(*) AS n, MIN(id) AS oldest FROM jobs WHERE state = 'inflight' GROUP BY integration`
    ),
    countFinal: db.prepare(
      `SELECT integration, state, COUNT(*) AS n FROM jobs WHERE state IN ('delivered', 'rejected', 'dropped', 'dead') GROUP BY integration, state`
    ),
    createdAt: db.prepare("SELECT created_at FROM jobs WHERE id = ?"),
    // The latest stored, when two sources used the same id.
    eventByMessage: db.prepare("SELECT seq, source, body FROM events WHERE message_id = ? ORDER BY seq DESC LIMIT 1"),
    eventBySource: db.prepare("SELECT seq, source, body FROM events WHERE message_id = ? AND source = ?"),
    jobsOfEvent: db.prepare("SELECT * FROM jobs WHERE event_seq = ? ORDER BY id"),
    history: db.prepare(
      `SELECT a.at, a.result, a.payload, x.body AS exchange FROM attempts a LEFT JOIN exchanges x ON x.id = a.exchange_id
       WHERE a.job_id = ? ORDER BY a.id`
    )
  };
  let appendTransactions = 0;
  let closed = false;
  let writeFailure;
  let queue = [];
  let flushScheduled = false;
  const loadTraits = (groups) => {
    const keys = /* @__PURE__ */ new Set();
    for (const group of groups) for (const item of group.items) for (const key of traitKeys(item.event)) keys.add(key);
    const known = /* @__PURE__ */ new Map();
    for (const row of q.findTraits.all(JSON.stringify([...keys]))) known.set(row.user_key, JSON.parse(row.traits));
    return known;
  };
  const appendOne = (item, at, known, jobs) => {
    const keys = traitKeys(item.event);
    const { event: stored, remember } = applyTraitsMemory(item.event, mergeRemembered(keys.map((key) => known.get(key))));
    const info = q.insertEvent.run(stored.message_id, item.source, JSON.stringify(stored), at);
    if (info.changes === 0) return "duplicate";
    const seq = Number(info.lastInsertRowid);
    if (remember !== void 0) {
      const text = JSON.stringify(remember);
      for (const key of keys) {
        q.saveTraits.run(key, text, at);
        known.set(key, remember);
      }
    }
    const userKey = userKeyOf(stored);
    const name = eventName(stored);
    for (const integration of new Set(item.integrations)) jobs.push([seq, integration, stored.message_id, userKey, stored.type, name]);
    return "stored";
  };
  const appendTx = db.transaction((groups) => {
    const at = now();
    const known = loadTraits(groups);
    const jobs = [];
    const results = groups.map((group) => ({ outcomes: group.items.map((item) => appendOne(item, at, known, jobs)) }));
    if (jobs.length > 0) q.insertJobs.run(at, at, at, JSON.stringify(jobs));
    return results;
  });
  const appendGroups = (groups) => {
    db.pragma("synchronous = FULL");
    try {
      return appendTx(groups);
    } finally {
      db.pragma("synchronous = NORMAL");
    }
  };
  const flush = () => {
    flushScheduled = false;
    const groups = queue;
    queue = [];
    if (groups.length === 0) return;
    if (closed) {
      for (const g of groups) g.reject(new SpoolError("the spool is closed"));
      return;
    }
    try {
      const results = appendGroups(groups);
      appendTransactions++;
      writeFailure = void 0;
      groups.forEach((g, i) => g.resolve(results[i]));
    } catch (error) {
      writeFailure = { reason: error.message, since: now() };
      if (groups.length === 1) {
        groups[0].reject(new SpoolError(`cannot store events: ${error.message}`, error));
        return;
      }
      for (const g of groups) {
        try {
          const [result] = appendGroups([g]);
          appendTransactions++;
          writeFailure = void 0;
          g.resolve(result);
        } catch (inner) {
          g.reject(new SpoolError(`cannot store events: ${inner.message}`, inner));
        }
      }
    }
  };
  const toJob = (row) => {
    if (row.body === null) throw new SpoolError(`job ${row.id} has no event (seq ${row.event_seq}); the spool file is damaged`);
    return {
      id: String(row.id),
      integration: row.integration,
      messageId: row.message_id,
      userKey: row.user_key,
      event: JSON.parse(row.body),
      attempts: row.attempts,
      ...row.first_attempt_at === null ? {} : { firstAttemptAt: row.first_attempt_at },
      ...row.batch_key === null ? {} : { batch: row.batch_key }
    };
  };
  const claimTx = db.transaction((integration, opts) => {
    q.recoverLeases.run(integration, opts.now);
    const users = /* @__PURE__ */ new Map();
    const deferred = [];
    let count = 0;
    const userClaim = (userKey) => {
      const holds = q.userHolds.all(integration, userKey);
      const hold = holds.find((h) => h.state === "inflight" || h.next_at > opts.now);
      const user = { holdId: hold?.id ?? Infinity, ids: [], full: false };
      if (hold?.state === "retry") user.holdUntil = hold.next_at;
      for (const h of holds) {
        if (h.id >= user.holdId) break;
        if (count >= opts.limit) {
          user.full = true;
          break;
        }
        user.ids.push(h.id);
        count++;
      }
      users.set(userKey, user);
      return user;
    };
    let cursor;
    scan: for (let page = 0; page < claimScanPages; page++) {
      const rows = cursor === void 0 ? q.dueFirst.all(integration, opts.now, opts.limit) : q.dueAfter.all(integration, opts.now, cursor.next_at, cursor.state, cursor.id, opts.limit);
      for (const row of rows) {
        if (count >= opts.limit) break scan;
        const user = users.get(row.user_key) ?? userClaim(row.user_key);
        if (row.id > user.holdId) {
          if (user.holdUntil !== void 0 && row.next_at < user.holdUntil) deferred.push([row.id, user.holdUntil]);
          continue;
        }
        if (row.state === "retry" || user.full) continue;
        if (count >= opts.limit) {
          user.full = true;
          continue;
        }
        user.ids.push(row.id);
        count++;
      }
      if (rows.length < opts.limit) break;
      cursor = rows[rows.length - 1];
    }
    if (deferred.length > 0) q.deferMany.run(JSON.stringify(deferred));
    const claimed = [...users.values()].flatMap((u) => u.ids.sort((a, b) => a - b));
    if (claimed.length === 0) return [];
    const ids = JSON.stringify(claimed);
    q.lease.run(opts.now + opts.leaseMs, ids);
    return q.leasedJobs.all(ids).map(toJob);
  });
  const completeTx = db.transaction((updates) => {
    const at = now();
    const exchangeIds = /* @__PURE__ */ new Map();
    const exchangeId = (exchange) => {
      if (exchange === void 0) return null;
      const known = exchangeIds.get(exchange);
      if (known !== void 0) return known;
      const kept = {
        ...exchange,
        request: { ...exchange.request, body: truncate(exchange.request.body, maxBody) },
        ...exchange.response === void 0 ? {} : { response: { ...exchange.response, body: truncate(exchange.response.body, maxBody) } }
      };
      const id = Number(q.insertExchange.run(JSON.stringify(kept)).lastInsertRowid);
      exchangeIds.set(exchange, id);
      return id;
    };
    const groups = /* @__PURE__ */ new Map();
    const tags = [];
    for (const update of updates) {
      const id = Number(update.job.id);
      if (update.state === "release") {
        q.release.run(update.retryAt ?? null, at, id);
        continue;
      }
      const { attempt } = update;
      const result = JSON.stringify(attempt.result);
      q.insertAttempt.run(id, attempt.at, result, exchangeId(attempt.exchange), attempt.payload === void 0 ? null : JSON.stringify(attempt.payload));
      const retryAt = update.state === "retry" ? update.retryAt : null;
      if (update.state === "retry" && update.batch !== void 0) tags.push([id, update.batch]);
      const key = `${update.state}|${attempt.at}|${retryAt}|${result}`;
      const group = groups.get(key);
      if (group === void 0) groups.set(key, { state: update.state, at: attempt.at, retryAt, result, ids: [id] });
      else group.ids.push(id);
    }
    for (const g of groups.values()) q.finishMany.run(g.state, g.at, g.retryAt, at, g.result, JSON.stringify(g.ids));
    if (tags.length > 0) q.tagBatches.run(JSON.stringify(tags));
  });
  const toEntry = (row) => ({
    id: String(row.id),
    integration: row.integration,
    messageId: row.message_id,
    eventType: row.event_type,
    ...row.event_name === null ? {} : { eventName: row.event_name },
    userKey: row.user_key,
    state: row.state,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...row.state === "retry" || row.state === "pending" && row.attempts > 0 ? { retryAt: row.next_at } : {},
    ...row.last_result === null ? {} : { lastResult: JSON.parse(row.last_result) }
  });
  const guard = (what, fn) => {
    if (closed) return Promise.reject(new SpoolError(`cannot ${what}: the spool is closed`));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      if (error instanceof SpoolError) return Promise.reject(error);
      return Promise.reject(new SpoolError(`cannot ${what}: ${error.message}`, error));
    }
  };
  db.prepare(`UPDATE jobs SET state = CASE WHEN attempts > 0 THEN 'retry' ELSE 'pending' END, lease_until = NULL WHERE state = 'inflight'`).run();
  return {
    driver: "sqlite",
    get appendTransactions() {
      return appendTransactions;
    },
    append(items) {
      if (closed) return Promise.reject(new SpoolError("cannot store events: the spool is closed"));
      if (items.length === 0) return Promise.resolve({ outcomes: [] });
      return new Promise((resolve, reject) => {
        queue.push({ items, resolve, reject });
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },
    claim: (integration, opts) => guard("claim jobs", () => opts.limit <= 0 ? [] : claimTx(integration, opts)),
    renew: (jobs, opts) => guard("renew leases", () => jobs.length === 0 ? void 0 : void q.renew.run(opts.now + opts.leaseMs, JSON.stringify(jobs.map((j) => Number(j.id))))),
    backlog: () => guard("count the backlog", () => q.countBacklog.get()?.n ?? 0),
    health: () => closed ? { writable: false, reason: "the spool is closed" } : writeFailure === void 0 ? { writable: true } : { writable: false, ...writeFailure },
    complete: (updates) => guard("record delivery results", () => updates.length === 0 ? void 0 : completeTx(updates)),
    replay: (filter) => guard("replay jobs", () => {
      const state = filter.state ?? "dead";
      if (state === "inflight") return 0;
      const where = ["state = ?"];
      const args = [state];
      if (filter.integration !== void 0) {
        where.push("integration = ?");
        args.push(filter.integration);
      }
      if (filter.messageIds !== void 0) {
        if (filter.messageIds.length === 0) return 0;
        where.push(`event_seq IN (SELECT seq FROM events WHERE message_id IN (${filter.messageIds.map(() => "?").join(", ")}))`);
        args.push(...filter.messageIds);
      }
      const at = now();
      const info = db.prepare(`UPDATE jobs SET state = 'pending', attempts = 0, first_attempt_at = NULL, next_at = ?, lease_until = NULL, updated_at = ?, batch_key = NULL WHERE ${where.join(" AND ")}`).run(at, at, ...args);
      return info.changes;
    }),
    stats: () => guard("read queue stats", () => {
      const at = now();
      const byIntegration = /* @__PURE__ */ new Map();
      const entry = (integration) => {
        let s = byIntegration.get(integration);
        if (s === void 0) {
          s = { integration, depth: 0, oldestAgeMs: 0, byState: {} };
          byIntegration.set(integration, s);
        }
        return s;
      };
      const open = (s, state, n, oldest) => {
        if (n === 0) return;
        s.byState[state] = n;
        s.depth += n;
        const row = q.createdAt.get(oldest);
        if (row !== void 0) s.oldestAgeMs = Math.max(s.oldestAgeMs, at - row.created_at);
      };
      for (const row of q.countOpen.all()) {
        const s = entry(row.integration);
        open(s, "pending", row.pending, row.oldest);
        open(s, "retry", row.retry, row.oldest);
      }
      for (const row of q.countInflight.all()) open(entry(row.integration), "inflight", row.n, row.oldest);
      for (const row of q.countFinal.all()) entry(row.integration).byState[row.state] = row.n;
      return [...byIntegration.values()].sort((a, b) => a.integration.localeCompare(b.integration));
    }),
    deliveries: (query) => guard("read the delivery log", () => {
      const where = [];
      const args = [];
      if (query.integration !== void 0) {
        where.push("integration = ?");
        args.push(query.integration);
      }
      const wanted = query.state === "failed" ? ["rejected", "dead"] : query.state === void 0 ? [] : [query.state];
      if (wanted.length > 0 && wanted.every((w) => finalStates.includes(w))) {
        where.push(`state IN ${sqlList(finalStates)}`, `state IN ${sqlList(wanted)}`);
      } else if (query.state !== void 0) {
        where.push("state = ?");
        args.push(query.state);
      }
      if (query.before !== void 0) {
        where.push("id < ?");
        args.push(Number(query.before));
      }
      const limit = Math.max(1, Math.min(query.limit ?? 100, 1e3));
      const sql = `SELECT * FROM jobs ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`} ORDER BY id DESC LIMIT ${limit}`;
      return db.prepare(sql).all(...args).map(toEntry);
    }),
    event: (messageId, source) => guard("read an event", () => {
      const row = source === void 0 ? q.eventByMessage.get(messageId) : q.eventBySource.get(messageId, source);
      if (row === void 0) return void 0;
      const deliveries = q.jobsOfEvent.all(row.seq).map((job) => ({
        ...toEntry(job),
        history: q.history.all(job.id).map(
          (a) => ({
            at: a.at,
            result: JSON.parse(a.result),
            ...a.exchange === null ? {} : { exchange: JSON.parse(a.exchange) },
            ...a.payload === null ? {} : { payload: JSON.parse(a.payload) }
          })
        )
      }));
      const detail = { event: JSON.parse(row.body), source: row.source, deliveries };
      return detail;
    }),
    prune: ({ before, limit = 1e4 }) => guard(
      "prune the delivery log",
      () => db.transaction(() => {
        const rows = q.pruneCandidates.all(before, Math.max(1, limit));
        if (rows.length === 0) return 0;
        const ids = JSON.stringify(rows.map((r) => r.id));
        const exchanges = [...new Set(rows.flatMap((r) => r.exchanges === null ? [] : JSON.parse(r.exchanges)))];
        q.pruneAttempts.run(ids);
        q.pruneJobs.run(ids);
        q.pruneEvents.run(JSON.stringify([...new Set(rows.map((r) => r.event_seq))]));
        if (exchanges.length > 0) q.pruneExchanges.run(JSON.stringify(exchanges));
        return rows.length;
      })()
    ),
    nextDueAt: (integration) => guard("read the next due time", () => {
      const times = [q.nextDue.get(integration)?.due, q.nextLease.get(integration)?.due].filter((t) => typeof t === "number");
      return times.length === 0 ? void 0 : Math.min(...times);
    }),
    async close() {
      if (closed) return;
      flush();
      closed = true;
      db.close();
    }
  };
}
export {
  openSqliteSpool
};

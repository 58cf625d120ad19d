import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { userKeyOf, type DeliveryResult, type Exchange, type SignalEvent } from '@signal/core';
import { SpoolError } from './errors.js';
import { rebuiltIndexes, schema, schemaVersion, tableMigrations } from './sqlite-schema.js';
import { applyTraitsMemory, mergeRemembered, traitKeys, type Traits } from './traits.js';
import type {
  AppendItem,
  AppendResult,
  AttemptRecord,
  ClaimOptions,
  DeliveryDetail,
  DeliveryEntry,
  DeliveryQuery,
  EventDetail,
  Job,
  JobState,
  JobUpdate,
  QueueStats,
  Spool,
} from './types.js';

export interface SqliteSpoolOptions {
  /** Database file; parent directories are created. `:memory:` works for throwaway use. */
  path: string;
  /** Clock for created/updated times (tests inject one). */
  now?: () => number;
  /**
   * Longest request/response body kept in the delivery log, in characters. A 1000-record
   * batch body can be ~1 MB; each job's own mapped payload is kept whole in its attempt anyway.
   */
  maxExchangeBodyChars?: number;
  /** Caps the file at this many pages (SQLite's max_page_count): writes past it fail as on a full disk. Tests use it. */
  maxPageCount?: number;
}

export interface SqliteSpool extends Spool {
  readonly driver: 'sqlite';
  /** Append transactions committed so far (group commit: fewer than append() calls under load). */
  readonly appendTransactions: number;
  /**
   * Deletes final jobs (delivered, rejected, dropped, dead) last updated before `before`, with
   * their attempts, and events and exchanges nothing refers to any more. At most `limit` jobs
   * per call, so the caller (a retention timer) never blocks the event loop for long.
   * Returns how many jobs were deleted; call again while it returns `limit`.
   */
  prune(options: { before: number; limit?: number }): Promise<number>;
}

interface JobRow {
  id: number;
  event_seq: number;
  integration: string;
  message_id: string;
  user_key: string;
  event_type: string;
  event_name: string | null;
  state: JobState;
  attempts: number;
  first_attempt_at: number | null;
  next_at: number;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
  last_result: string | null;
}

interface DueRow {
  id: number;
  user_key: string;
  next_at: number;
  state: string;
}

interface ClaimedRow {
  id: number;
  batch_key: string | null;
  integration: string;
  message_id: string;
  user_key: string;
  attempts: number;
  first_attempt_at: number | null;
  event_seq: number;
  body: string | null;
}

interface PendingAppend {
  items: AppendItem[];
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

const finalStates = ['delivered', 'rejected', 'dropped', 'dead'] as const;
/** An SQL list of known state names (never user text). */
const sqlList = (names: readonly string[]): string => `(${names.map((n) => `'${n.replace(/[^a-z]/g, '')}'`).join(', ')})`;
/** How many due-ordered pages a claim reads looking for unblocked users before giving up for this round. */
const claimScanPages = 4;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters not kept]`;
}

function eventName(event: SignalEvent): string | null {
  return event.event ?? event.name ?? null;
}

/**
 * The embedded spool: one SQLite file in WAL mode; appends commit with synchronous=FULL, so a
 * resolved append() is on disk. Concurrent append() calls made in the same
 * event-loop turn share one transaction (one fsync): group commit.
 */
export function openSqliteSpool(options: SqliteSpoolOptions): SqliteSpool {
  const now = options.now ?? Date.now;
  const maxBody = options.maxExchangeBodyChars ?? 64 * 1024;
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(options.path);
    db.pragma('journal_mode = WAL');
    // Claims and results run at NORMAL (a lost one only means a redelivery: at-least-once);
    // appends switch to FULL, whose WAL sync also covers everything written before.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = OFF');
    db.pragma('cache_size = -32000');
    db.pragma('busy_timeout = 5000');
    if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.floor(options.maxPageCount)}`);
    const version = db.pragma('user_version', { simple: true }) as number;
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
    throw new SpoolError(`cannot open the SQLite spool at ${options.path}: ${(error as Error).message}`, error);
  }

  const q = {
    // One lookup per append transaction for all its users (json_each: a JSON array of keys).
    findTraits: db.prepare<[string], { user_key: string; traits: string }>(
      'SELECT user_key, traits FROM user_traits WHERE user_key IN (SELECT value FROM json_each(?))',
    ),
    saveTraits: db.prepare('INSERT INTO user_traits (user_key, traits, updated_at) VALUES (?, ?, ?) ON CONFLICT(user_key) DO UPDATE SET traits = excluded.traits, updated_at = excluded.updated_at'),
    insertEvent: db.prepare('INSERT OR IGNORE INTO events (message_id, source, body, received_at) VALUES (?, ?, ?, ?)'),
    // All jobs of an append transaction in one statement. json_each walks the array in order, so job ids
    // follow append order (per-user order depends on it); ORDER BY key would only add a sort.
    insertJobs: db.prepare(
      `INSERT INTO jobs (event_seq, integration, message_id, user_key, event_type, event_name, state, next_at, created_at, updated_at)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, 'pending', ?, ?, ? FROM json_each(?)`,
    ),
    recoverLeases: db.prepare(
      `UPDATE jobs SET state = CASE WHEN attempts > 0 THEN 'retry' ELSE 'pending' END, lease_until = NULL
       WHERE integration = ? AND state = 'inflight' AND lease_until <= ?`,
    ),
    // Order matches the jobs_due index exactly (ties: pending before retry, then arrival), so no sort.
    dueFirst: db.prepare<[string, number, number], DueRow>(
      `SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') AND next_at <= ?
       ORDER BY next_at, state, id LIMIT ?`,
    ),
    dueAfter: db.prepare<[string, number, number, string, number, number], DueRow>(
      `SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') AND next_at <= ?
       AND (next_at, state, id) > (?, ?, ?) ORDER BY next_at, state, id LIMIT ?`,
    ),
    userHolds: db.prepare<[string, string], { id: number; state: JobState; next_at: number }>(
      `SELECT id, state, next_at FROM jobs WHERE integration = ? AND user_key = ? AND state IN ('inflight', 'retry') ORDER BY id`,
    ),
    // A job found held behind a user's retry moves to that retry time, so later scans skip it.
    deferMany: db.prepare(`UPDATE jobs SET next_at = d.value ->> 1 FROM json_each(?) AS d WHERE jobs.id = d.value ->> 0`),
    // Bulk statements take a JSON array of ids: one call per claim, not one per job.
    lease: db.prepare(`UPDATE jobs SET state = 'inflight', lease_until = ? WHERE id IN (SELECT value FROM json_each(?))`),
    leasedJobs: db.prepare<[string], ClaimedRow>(
      `SELECT j.id, j.integration, j.message_id, j.user_key, j.attempts, j.first_attempt_at, j.event_seq, j.batch_key, e.body
       FROM json_each(?) AS k JOIN jobs j ON j.id = k.value LEFT JOIN events e ON e.seq = j.event_seq ORDER BY k.key`,
    ),
    renew: db.prepare(`UPDATE jobs SET lease_until = ? WHERE id IN (SELECT value FROM json_each(?)) AND state = 'inflight'`),
    countBacklog: db.prepare<[], { n: number }>(`SELECT (SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'retry')) + (SELECT COUNT(*) FROM jobs WHERE state = 'inflight') AS n`),
    release: db.prepare(
      `UPDATE jobs SET state = CASE WHEN attempts > 0 THEN 'retry' ELSE 'pending' END, lease_until = NULL,
       next_at = COALESCE(?, next_at), updated_at = ? WHERE id = ? AND state = 'inflight'`,
    ),
    // Jobs with the same outcome (a batch's delivered records) are finished in one statement.
    finishMany: db.prepare(
      `UPDATE jobs SET state = ?, attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?), next_at = COALESCE(?, next_at),
       lease_until = NULL, updated_at = ?, last_result = ?, batch_key = NULL WHERE id IN (SELECT value FROM json_each(?))`,
    ),
    // Idempotent retries: each job's batch tag, after finishMany cleared the old ones ([[id, tag], ...]).
    tagBatches: db.prepare(`UPDATE jobs SET batch_key = d.value ->> 1 FROM json_each(?) AS d WHERE jobs.id = d.value ->> 0`),
    insertAttempt: db.prepare('INSERT INTO attempts (job_id, at, result, exchange_id, payload) VALUES (?, ?, ?, ?, ?)'),
    pruneCandidates: db.prepare<[number, number], { id: number; event_seq: number; exchanges: string | null }>(
      `SELECT j.id, j.event_seq, (SELECT json_group_array(exchange_id) FROM attempts a WHERE a.job_id = j.id AND exchange_id IS NOT NULL) AS exchanges
       FROM jobs j WHERE state IN ('delivered', 'rejected', 'dropped', 'dead') AND updated_at < ? LIMIT ?`,
    ),
    pruneAttempts: db.prepare(`DELETE FROM attempts WHERE job_id IN (SELECT value FROM json_each(?))`),
    pruneJobs: db.prepare(`DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?))`),
    pruneEvents: db.prepare(
      `DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.event_seq = events.seq)`,
    ),
    pruneExchanges: db.prepare(
      `DELETE FROM exchanges WHERE id IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM attempts WHERE attempts.exchange_id = exchanges.id)`,
    ),
    insertExchange: db.prepare('INSERT INTO exchanges (body) VALUES (?)'),
    nextDue: db.prepare<[string], { due: number | null }>(
      `SELECT MIN(next_at) AS due FROM jobs WHERE integration = ? AND state IN ('pending', 'retry')`,
    ),
    nextLease: db.prepare<[string], { due: number | null }>(
      `SELECT MIN(lease_until) AS due FROM jobs WHERE integration = ? AND state = 'inflight'`,
    ),
    // One query per partial index, each grouped in that index's own order: counting reads
    // index entries only, with no sorter (1M queued jobs stay cheap to count).
    countOpen: db.prepare<[], { integration: string; pending: number; retry: number; oldest: number }>(
      `SELECT integration, SUM(state = 'pending') AS pending, SUM(state = 'retry') AS retry, MIN(id) AS oldest
       FROM jobs WHERE state IN ('pending', 'retry') GROUP BY integration`,
    ),
    countInflight: db.prepare<[], { integration: string; n: number; oldest: number }>(
      `SELECT integration, COUNT(*) AS n, MIN(id) AS oldest FROM jobs WHERE state = 'inflight' GROUP BY integration`,
    ),
    countFinal: db.prepare<[], { integration: string; state: JobState; n: number }>(
      `SELECT integration, state, COUNT(*) AS n FROM jobs WHERE state IN ('delivered', 'rejected', 'dropped', 'dead') GROUP BY integration, state`,
    ),
    createdAt: db.prepare<[number], { created_at: number }>('SELECT created_at FROM jobs WHERE id = ?'),
    // The latest stored, when two sources used the same id.
    eventByMessage: db.prepare<[string], { seq: number; source: string; body: string }>('SELECT seq, source, body FROM events WHERE message_id = ? ORDER BY seq DESC LIMIT 1'),
    eventBySource: db.prepare<[string, string], { seq: number; source: string; body: string }>('SELECT seq, source, body FROM events WHERE message_id = ? AND source = ?'),
    jobsOfEvent: db.prepare<[number], JobRow>('SELECT * FROM jobs WHERE event_seq = ? ORDER BY id'),
    history: db.prepare<[number], { at: number; result: string; payload: string | null; exchange: string | null }>(
      `SELECT a.at, a.result, a.payload, x.body AS exchange FROM attempts a LEFT JOIN exchanges x ON x.id = a.exchange_id
       WHERE a.job_id = ? ORDER BY a.id`,
    ),
  };

  let appendTransactions = 0;
  let closed = false;
  /** The latest append's failure, until an append succeeds again (health()). */
  let writeFailure: { reason: string; since: number } | undefined;
  let queue: PendingAppend[] = [];
  let flushScheduled = false;

  /** Remembered traits of every user in these groups, by trait key (absent: nothing remembered). */
  const loadTraits = (groups: PendingAppend[]): Map<string, Traits> => {
    const keys = new Set<string>();
    for (const group of groups) for (const item of group.items) for (const key of traitKeys(item.event)) keys.add(key);
    const known = new Map<string, Traits>();
    for (const row of q.findTraits.all(JSON.stringify([...keys]))) known.set(row.user_key, JSON.parse(row.traits) as Traits);
    return known;
  };

  /** Job row for insertJobs: [event_seq, integration, message_id, user_key, event_type, event_name]. */
  type JobRowInput = [number, string, string, string, string, string | null];

  /** `known` holds the transaction's view of remembered traits: an identify updates it for the events after it. */
  const appendOne = (item: AppendItem, at: number, known: Map<string, Traits>, jobs: JobRowInput[]): 'stored' | 'duplicate' => {
    const keys = traitKeys(item.event);
    const { event: stored, remember } = applyTraitsMemory(item.event, mergeRemembered(keys.map((key) => known.get(key))));
    const info = q.insertEvent.run(stored.message_id, item.source, JSON.stringify(stored), at);
    if (info.changes === 0) return 'duplicate';
    const seq = Number(info.lastInsertRowid);
    if (remember !== undefined) {
      const text = JSON.stringify(remember);
      for (const key of keys) {
        q.saveTraits.run(key, text, at);
        known.set(key, remember);
      }
    }
    const userKey = userKeyOf(stored);
    const name = eventName(stored);
    for (const integration of new Set(item.integrations)) jobs.push([seq, integration, stored.message_id, userKey, stored.type, name]);
    return 'stored';
  };

  const appendTx = db.transaction((groups: PendingAppend[]): AppendResult[] => {
    const at = now();
    const known = loadTraits(groups);
    const jobs: JobRowInput[] = [];
    const results = groups.map((group) => ({ outcomes: group.items.map((item) => appendOne(item, at, known, jobs)) }));
    if (jobs.length > 0) q.insertJobs.run(at, at, at, JSON.stringify(jobs));
    return results;
  });
  /** An append resolves only once its commit is synced to disk: the collector's 200 depends on it. */
  const appendGroups = (groups: PendingAppend[]): AppendResult[] => {
    db.pragma('synchronous = FULL');
    try {
      return appendTx(groups);
    } finally {
      db.pragma('synchronous = NORMAL');
    }
  };

  const flush = (): void => {
    flushScheduled = false;
    const groups = queue;
    queue = [];
    if (groups.length === 0) return;
    if (closed) {
      for (const g of groups) g.reject(new SpoolError('the spool is closed'));
      return;
    }
    try {
      const results = appendGroups(groups);
      appendTransactions++;
      writeFailure = undefined;
      groups.forEach((g, i) => g.resolve(results[i]!));
    } catch (error) {
      writeFailure = { reason: (error as Error).message, since: now() };
      if (groups.length === 1) {
        groups[0]!.reject(new SpoolError(`cannot store events: ${(error as Error).message}`, error));
        return;
      }
      // One bad request must not fail its neighbours: fall back to one transaction each.
      for (const g of groups) {
        try {
          const [result] = appendGroups([g]);
          appendTransactions++;
          writeFailure = undefined;
          g.resolve(result!);
        } catch (inner) {
          g.reject(new SpoolError(`cannot store events: ${(inner as Error).message}`, inner));
        }
      }
    }
  };

  const toJob = (row: ClaimedRow): Job => {
    if (row.body === null) throw new SpoolError(`job ${row.id} has no event (seq ${row.event_seq}); the spool file is damaged`);
    return {
      id: String(row.id),
      integration: row.integration,
      messageId: row.message_id,
      userKey: row.user_key,
      event: JSON.parse(row.body) as SignalEvent,
      attempts: row.attempts,
      ...(row.first_attempt_at === null ? {} : { firstAttemptAt: row.first_attempt_at }),
      ...(row.batch_key === null ? {} : { batch: row.batch_key }),
    };
  };

  /**
   * Per-user order without an index of every open job by user: a user is held back from its
   * first job in flight or waiting to retry (jobs_hold, small). Due jobs are read in due
   * order; a user's pending jobs are due in id order (appends are, and only retries move
   * later), so the earlier ones come first in the scan. A user's due retries join its claim.
   */
  const claimTx = db.transaction((integration: string, opts: ClaimOptions): Job[] => {
    q.recoverLeases.run(integration, opts.now);
    interface UserClaim {
      /** Id of the first job that holds this user back (Infinity: none). */
      holdId: number;
      /** When that hold is a retry: its due time (held jobs move there). */
      holdUntil?: number;
      ids: number[];
      /** The claim filled up inside this user's jobs: take no later ones. */
      full: boolean;
    }
    const users = new Map<string, UserClaim>();
    const deferred: [number, number][] = [];
    let count = 0;
    const userClaim = (userKey: string): UserClaim => {
      const holds = q.userHolds.all(integration, userKey);
      const hold = holds.find((h) => h.state === 'inflight' || h.next_at > opts.now);
      const user: UserClaim = { holdId: hold?.id ?? Infinity, ids: [], full: false };
      if (hold?.state === 'retry') user.holdUntil = hold.next_at;
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
    let cursor: DueRow | undefined;
    scan: for (let page = 0; page < claimScanPages; page++) {
      const rows =
        cursor === undefined
          ? q.dueFirst.all(integration, opts.now, opts.limit)
          : q.dueAfter.all(integration, opts.now, cursor.next_at, cursor.state, cursor.id, opts.limit);
      for (const row of rows) {
        if (count >= opts.limit) break scan;
        const user = users.get(row.user_key) ?? userClaim(row.user_key);
        if (row.id > user.holdId) {
          if (user.holdUntil !== undefined && row.next_at < user.holdUntil) deferred.push([row.id, user.holdUntil]);
          continue;
        }
        // Due retries were taken with the user's holds.
        if (row.state === 'retry' || user.full) continue;
        if (count >= opts.limit) {
          user.full = true;
          continue;
        }
        user.ids.push(row.id);
        count++;
      }
      if (rows.length < opts.limit) break;
      cursor = rows[rows.length - 1]!;
    }
    if (deferred.length > 0) q.deferMany.run(JSON.stringify(deferred));
    const claimed = [...users.values()].flatMap((u) => u.ids.sort((a, b) => a - b));
    if (claimed.length === 0) return [];
    const ids = JSON.stringify(claimed);
    q.lease.run(opts.now + opts.leaseMs, ids);
    return q.leasedJobs.all(ids).map(toJob);
  });

  const completeTx = db.transaction((updates: JobUpdate[]) => {
    const at = now();
    const exchangeIds = new Map<Exchange, number>();
    const exchangeId = (exchange: Exchange | undefined): number | null => {
      if (exchange === undefined) return null;
      const known = exchangeIds.get(exchange);
      if (known !== undefined) return known;
      const kept: Exchange = {
        ...exchange,
        request: { ...exchange.request, body: truncate(exchange.request.body, maxBody) },
        ...(exchange.response === undefined ? {} : { response: { ...exchange.response, body: truncate(exchange.response.body, maxBody) } }),
      };
      const id = Number(q.insertExchange.run(JSON.stringify(kept)).lastInsertRowid);
      exchangeIds.set(exchange, id);
      return id;
    };
    const groups = new Map<string, { state: string; at: number; retryAt: number | null; result: string; ids: number[] }>();
    const tags: [number, string][] = [];
    for (const update of updates) {
      const id = Number(update.job.id);
      if (update.state === 'release') {
        q.release.run(update.retryAt ?? null, at, id);
        continue;
      }
      const { attempt } = update;
      const result = JSON.stringify(attempt.result);
      q.insertAttempt.run(id, attempt.at, result, exchangeId(attempt.exchange), attempt.payload === undefined ? null : JSON.stringify(attempt.payload));
      const retryAt = update.state === 'retry' ? update.retryAt : null;
      if (update.state === 'retry' && update.batch !== undefined) tags.push([id, update.batch]);
      const key = `${update.state}|${attempt.at}|${retryAt}|${result}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { state: update.state, at: attempt.at, retryAt, result, ids: [id] });
      else group.ids.push(id);
    }
    for (const g of groups.values()) q.finishMany.run(g.state, g.at, g.retryAt, at, g.result, JSON.stringify(g.ids));
    if (tags.length > 0) q.tagBatches.run(JSON.stringify(tags));
  });

  const toEntry = (row: JobRow): DeliveryEntry => ({
    id: String(row.id),
    integration: row.integration,
    messageId: row.message_id,
    eventType: row.event_type,
    ...(row.event_name === null ? {} : { eventName: row.event_name }),
    userKey: row.user_key,
    state: row.state,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.state === 'retry' || (row.state === 'pending' && row.attempts > 0) ? { retryAt: row.next_at } : {}),
    ...(row.last_result === null ? {} : { lastResult: JSON.parse(row.last_result) as DeliveryResult }),
  });

  const guard = <T>(what: string, fn: () => T): Promise<T> => {
    if (closed) return Promise.reject(new SpoolError(`cannot ${what}: the spool is closed`));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      if (error instanceof SpoolError) return Promise.reject(error);
      return Promise.reject(new SpoolError(`cannot ${what}: ${(error as Error).message}`, error));
    }
  };

  // A runner that died left its jobs leased; on open they are due again at once.
  db.prepare(`UPDATE jobs SET state = CASE WHEN attempts > 0 THEN 'retry' ELSE 'pending' END, lease_until = NULL WHERE state = 'inflight'`).run();

  return {
    driver: 'sqlite',
    get appendTransactions() {
      return appendTransactions;
    },

    append(items) {
      if (closed) return Promise.reject(new SpoolError('cannot store events: the spool is closed'));
      if (items.length === 0) return Promise.resolve({ outcomes: [] });
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ items, resolve, reject });
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },

    claim: (integration, opts) => guard('claim jobs', () => (opts.limit <= 0 ? [] : claimTx(integration, opts))),

    renew: (jobs, opts) => guard('renew leases', () => (jobs.length === 0 ? undefined : void q.renew.run(opts.now + opts.leaseMs, JSON.stringify(jobs.map((j) => Number(j.id)))))),

    backlog: () => guard('count the backlog', () => q.countBacklog.get()?.n ?? 0),

    health: () => (closed ? { writable: false, reason: 'the spool is closed' } : writeFailure === undefined ? { writable: true } : { writable: false, ...writeFailure }),

    complete: (updates) => guard('record delivery results', () => (updates.length === 0 ? undefined : completeTx(updates))),

    replay: (filter) =>
      guard('replay jobs', () => {
        const state = filter.state ?? 'dead';
        if (state === 'inflight') return 0;
        const where = ['state = ?'];
        const args: (string | number)[] = [state];
        if (filter.integration !== undefined) {
          where.push('integration = ?');
          args.push(filter.integration);
        }
        if (filter.messageIds !== undefined) {
          if (filter.messageIds.length === 0) return 0;
          where.push(`event_seq IN (SELECT seq FROM events WHERE message_id IN (${filter.messageIds.map(() => '?').join(', ')}))`);
          args.push(...filter.messageIds);
        }
        const at = now();
        const info = db
          .prepare(`UPDATE jobs SET state = 'pending', attempts = 0, first_attempt_at = NULL, next_at = ?, lease_until = NULL, updated_at = ?, batch_key = NULL WHERE ${where.join(' AND ')}`)
          .run(at, at, ...args);
        return info.changes;
      }),

    stats: () =>
      guard('read queue stats', () => {
        const at = now();
        const byIntegration = new Map<string, QueueStats>();
        const entry = (integration: string): QueueStats => {
          let s = byIntegration.get(integration);
          if (s === undefined) {
            s = { integration, depth: 0, oldestAgeMs: 0, byState: {} };
            byIntegration.set(integration, s);
          }
          return s;
        };
        const open = (s: QueueStats, state: JobState, n: number, oldest: number): void => {
          if (n === 0) return;
          s.byState[state] = n;
          s.depth += n;
          const row = q.createdAt.get(oldest);
          if (row !== undefined) s.oldestAgeMs = Math.max(s.oldestAgeMs, at - row.created_at);
        };
        for (const row of q.countOpen.all()) {
          const s = entry(row.integration);
          open(s, 'pending', row.pending, row.oldest);
          open(s, 'retry', row.retry, row.oldest);
        }
        for (const row of q.countInflight.all()) open(entry(row.integration), 'inflight', row.n, row.oldest);
        for (const row of q.countFinal.all()) entry(row.integration).byState[row.state] = row.n;
        return [...byIntegration.values()].sort((a, b) => a.integration.localeCompare(b.integration));
      }),

    deliveries: (query: DeliveryQuery) =>
      guard('read the delivery log', () => {
        const where: string[] = [];
        const args: (string | number)[] = [];
        if (query.integration !== undefined) {
          where.push('integration = ?');
          args.push(query.integration);
        }
        // Final states are spelled out with the jobs_final index's own condition, so SQLite can use
        // it (a bound parameter cannot prove a partial index applies): newest first without a sort.
        const wanted = query.state === 'failed' ? ['rejected', 'dead'] : query.state === undefined ? [] : [query.state];
        if (wanted.length > 0 && wanted.every((w) => (finalStates as readonly string[]).includes(w))) {
          where.push(`state IN ${sqlList(finalStates)}`, `state IN ${sqlList(wanted)}`);
        } else if (query.state !== undefined) {
          where.push('state = ?');
          args.push(query.state);
        }
        if (query.before !== undefined) {
          where.push('id < ?');
          args.push(Number(query.before));
        }
        const limit = Math.max(1, Math.min(query.limit ?? 100, 1000));
        const sql = `SELECT * FROM jobs ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY id DESC LIMIT ${limit}`;
        return (db.prepare(sql).all(...args) as JobRow[]).map(toEntry);
      }),

    event: (messageId, source) =>
      guard('read an event', () => {
        const row = source === undefined ? q.eventByMessage.get(messageId) : q.eventBySource.get(messageId, source);
        if (row === undefined) return undefined;
        const deliveries: DeliveryDetail[] = q.jobsOfEvent.all(row.seq).map((job) => ({
          ...toEntry(job),
          history: q.history.all(job.id).map(
            (a): AttemptRecord => ({
              at: a.at,
              result: JSON.parse(a.result) as DeliveryResult,
              ...(a.exchange === null ? {} : { exchange: JSON.parse(a.exchange) as Exchange }),
              ...(a.payload === null ? {} : { payload: JSON.parse(a.payload) as unknown }),
            }),
          ),
        }));
        const detail: EventDetail = { event: JSON.parse(row.body) as SignalEvent, source: row.source, deliveries };
        return detail;
      }),

    prune: ({ before, limit = 10_000 }) =>
      guard('prune the delivery log', () =>
        db.transaction(() => {
          const rows = q.pruneCandidates.all(before, Math.max(1, limit));
          if (rows.length === 0) return 0;
          const ids = JSON.stringify(rows.map((r) => r.id));
          const exchanges = [...new Set(rows.flatMap((r) => (r.exchanges === null ? [] : (JSON.parse(r.exchanges) as number[]))))];
          q.pruneAttempts.run(ids);
          q.pruneJobs.run(ids);
          q.pruneEvents.run(JSON.stringify([...new Set(rows.map((r) => r.event_seq))]));
          if (exchanges.length > 0) q.pruneExchanges.run(JSON.stringify(exchanges));
          return rows.length;
        })(),
      ),

    nextDueAt: (integration) =>
      guard('read the next due time', () => {
        const times = [q.nextDue.get(integration)?.due, q.nextLease.get(integration)?.due].filter((t): t is number => typeof t === 'number');
        return times.length === 0 ? undefined : Math.min(...times);
      }),

    async close() {
      if (closed) return;
      flush();
      closed = true;
      db.close();
    },
  };
}

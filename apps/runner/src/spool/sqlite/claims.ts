import type Database from 'better-sqlite3';
import type { ClaimOptions, JobState } from '../types.js';
import type { ClaimHints, DueKey } from './claim-hints.js';
import type { Leases } from './leases.js';

/**
 * Claims and leases: which due jobs an integration's lane gets next, under per-user order, and
 * the leases that bring a crashed (or hung) runner's jobs back. A claim writes nothing: the
 * leases are in the writer's memory (leases.ts), and a leased job stays pending (or retry) in
 * the file until its result is recorded, so a crash simply leaves it due.
 */
export interface Claims {
  /**
   * Leases due jobs; the rows as protocol.ts `jobFields` (flat). `durable`: the highest job id
   * known to be on disk (wal-sync.ts); later jobs wait, as if not yet appended.
   */
  claim(integration: string, options: ClaimOptions, durable: number): (string | number | null)[];
  renew(jobIds: readonly number[], until: number): void;
  /** Earliest due time among waiting jobs (up to `durable`, as for claim) or leases, or undefined. */
  nextDueAt(integration: string, durable: number): number | undefined;
}

interface DueRow extends DueKey {
  user_key: string;
}

interface HoldRow {
  user_key: string;
  id: number;
  state: JobState;
  next_at: number;
}

/** How many due-ordered pages a claim reads looking for unblocked users before giving up for this round. */
const claimScanPages = 4;

/**
 * The due scan, in the jobs_due index's order exactly (ties: pending before retry, then arrival), so
 * no sort; user_key is in the index too, so a page is read from the index alone. A page after a
 * cursor is two seeks: the rest of the cursor's (next_at, state) run by id, then the runs after it.
 * (One row-value comparison `(next_at, state, id) > (?, ?, ?)` seeks on (next_at, state) only, then
 * reads the whole run up to the cursor: all the jobs of an append commit share next_at, so that
 * was up to a commit's worth of index rows read and dropped per page. Exported for the plan test.)
 */
export const dueSql = {
  first: `SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') AND next_at <= ?
    ORDER BY next_at, state, id LIMIT ?`,
  sameKey: `SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry')
    AND next_at = ? AND state = ? AND id > ? ORDER BY id LIMIT ?`,
  laterKeys: `SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') AND next_at <= ?
    AND (next_at, state) > (?, ?) ORDER BY next_at, state, id LIMIT ?`,
};

export function createClaims(db: Database.Database, leases: Leases, hints: ClaimHints): Claims {
  const q = {
    dueFirst: db.prepare<[string, number, number], DueRow>(dueSql.first),
    dueSame: db.prepare<[string, number, string, number, number], DueRow>(dueSql.sameKey),
    dueAfter: db.prepare<[string, number, number, string, number], DueRow>(dueSql.laterKeys),
    // The retries of all new users of a page in one statement (one jobs_hold seek each, in SQLite, not one call each);
    // their jobs in flight are in `leases`.
    userRetries: db.prepare<[string, string], HoldRow>(
      `SELECT user_key, id, state, next_at FROM jobs WHERE integration = ? AND state = 'retry'
       AND user_key IN (SELECT value FROM json_each(?)) ORDER BY user_key, id`,
    ),
    // Whether the integration has any retry at all (one seek on jobs_hold): usually not, and then no user needs the lookup above.
    anyRetry: db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM jobs WHERE integration = ? AND state = 'retry' LIMIT 1`),
    // A job found held behind a user's retry moves to that retry time, so later scans skip it.
    deferMany: db.prepare(`UPDATE jobs SET next_at = d.value ->> 1 FROM json_each(?) AS d WHERE jobs.id = d.value ->> 0`),
    // The claimed jobs with their events, one statement for all (json_each: a JSON array of ids).
    claimedJobs: db
      .prepare<[string]>(
        `SELECT j.id, j.integration, j.message_id, j.user_key, j.attempts, j.first_attempt_at, j.batch_key, e.body
         FROM json_each(?) AS k JOIN jobs j ON j.id = k.value LEFT JOIN events e ON e.seq = j.event_seq`,
      )
      .raw(),
    dueTimes: db.prepare<[string], { id: number; next_at: number }>(
      `SELECT id, next_at FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') ORDER BY next_at, state, id`,
    ),
  };

  interface UserClaim {
    /** Id of the first job that holds this user back (Infinity: none). */
    holdId: number;
    /** When that hold is a retry: its due time (held jobs move there). */
    holdUntil?: number;
    ids: number[];
    /** The claim filled up inside this user's jobs: take no later ones. */
    full: boolean;
  }

  /**
   * Per-user order without an index of every open job by user: a user is held back from its
   * first job in flight (leases, in memory) or waiting to retry (jobs_hold, small). Due jobs are
   * read in due order; a user's pending jobs are due in id order (appends are, and only retries
   * move later), so the earlier ones come first in the scan. A user's due retries join its claim.
   */
  const claimTx = db.transaction((integration: string, opts: ClaimOptions, durable: number): (string | number | null)[] => {
    // An expired lease is just forgotten: the job is still due in the file.
    for (const id of leases.expired(integration, opts.now)) {
      leases.remove(id);
      hints.dueAgain(integration);
    }
    const hint = hints.get(integration);
    const claimed = scan(integration, opts, hint, durable);
    // Nothing after the hint: read from the start once (a job the hint skipped is never stranded).
    if (claimed.length === 0 && hint !== undefined) {
      hints.set(integration, undefined);
      return scan(integration, opts, undefined, durable);
    }
    return claimed;
  });

  /** Up to opts.limit due rows after `cursor` (from the start without one), in due order. */
  const page = (integration: string, opts: ClaimOptions, cursor: DueKey | undefined): DueRow[] => {
    if (cursor === undefined) return q.dueFirst.all(integration, opts.now, opts.limit);
    const rows = cursor.next_at <= opts.now ? q.dueSame.all(integration, cursor.next_at, cursor.state, cursor.id, opts.limit) : [];
    if (rows.length < opts.limit) rows.push(...q.dueAfter.all(integration, opts.now, cursor.next_at, cursor.state, opts.limit - rows.length));
    return rows;
  };

  const scan = (integration: string, opts: ClaimOptions, hint: DueKey | undefined, durable: number): (string | number | null)[] => {
    const users = new Map<string, UserClaim>();
    const deferred: [number, number][] = [];
    /** Claimed jobs that are retries in the file (the rest are pending). */
    const retries = new Set<number>();
    let count = 0;
    const anyRetry = q.anyRetry.get(integration) !== undefined;
    /** Holds of users read ahead (a page at a time), not yet met in due order. */
    const holdsOf = new Map<string, HoldRow[]>();
    const readHolds = (rows: DueRow[], from: number): void => {
      const fresh = new Set<string>();
      for (let i = from; i < rows.length; i++) {
        const key = rows[i]!.user_key;
        if (!users.has(key) && !holdsOf.has(key)) fresh.add(key);
      }
      for (const key of fresh) {
        const inflight = leases.ofUser(integration, key);
        holdsOf.set(key, inflight === undefined ? [] : [...inflight].map((id) => ({ user_key: key, id, state: 'inflight', next_at: 0 })));
      }
      // A retry in flight is a hold as a job in flight (it is in `leases` already).
      if (anyRetry) for (const h of q.userRetries.all(integration, JSON.stringify([...fresh]))) if (!leases.has(h.id)) holdsOf.get(h.user_key)!.push(h);
      for (const key of fresh) {
        const holds = holdsOf.get(key)!;
        if (holds.length > 1) holds.sort((a, b) => a.id - b.id);
      }
    };
    const userClaim = (holds: HoldRow[]): UserClaim => {
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
        retries.add(h.id);
        count++;
      }
      return user;
    };
    /** Due rows not in flight a claim reads, looking for unblocked users, before giving up for this round. */
    let budget = claimScanPages * opts.limit;
    let cursor: DueKey | undefined = hint;
    /** Rows read, in due order: the run of them in flight (or claimed now) from the start moves the hint. */
    const read: DueRow[] = [];
    scan: while (budget > 0) {
      const rows = page(integration, opts, cursor);
      for (let i = 0; i < rows.length; i++) {
        if (count >= opts.limit) break scan;
        const row = rows[i]!;
        read.push(row);
        // In flight: still due in the file, skipped here (and not counted against the budget).
        if (leases.has(row.id)) continue;
        budget--;
        // Not yet on disk: skipped, and it ends the run of rows the hint may pass.
        if (row.id > durable) continue;
        let user = users.get(row.user_key);
        if (user === undefined) {
          // A user is met in due order (its due retries take room then); its holds were read with the page's.
          if (!holdsOf.has(row.user_key)) readHolds(rows, i);
          user = userClaim(holdsOf.get(row.user_key)!);
          holdsOf.delete(row.user_key);
          users.set(row.user_key, user);
        }
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
      // A short page is the end of the due jobs; a full claim reads no further page.
      if (rows.length < opts.limit || count >= opts.limit) break;
      cursor = rows[rows.length - 1]!;
    }
    if (deferred.length > 0) q.deferMany.run(JSON.stringify(deferred));
    const claimed = [...users.values()].flatMap((u) => u.ids.sort((a, b) => a - b));
    const taken = new Set(claimed);
    let lead = hint;
    for (const row of read) {
      if (!leases.has(row.id) && !taken.has(row.id)) break;
      lead = row;
    }
    hints.set(integration, lead);
    if (claimed.length === 0) return [];
    const byId = new Map<number, (string | number | null)[]>();
    for (const row of q.claimedJobs.all(JSON.stringify(claimed)) as (string | number | null)[][]) byId.set(row[0] as number, row);
    // Back in claim order (per user, in id order), whatever order the join produced.
    const until = opts.now + opts.leaseMs;
    const out: (string | number | null)[] = [];
    for (const id of claimed) {
      const row = byId.get(id);
      if (row === undefined) continue;
      leases.add(id, integration, row[3] as string, until, retries.has(id) ? 'retry' : 'pending');
      for (const value of row) out.push(value);
    }
    return out;
  };

  return {
    claim: (integration, opts, durable) => (opts.limit <= 0 ? [] : claimTx(integration, opts, durable)),
    renew(jobIds, until) {
      leases.renew(jobIds, until);
    },
    nextDueAt(integration, durable) {
      let due: number | undefined;
      for (const row of q.dueTimes.iterate(integration)) {
        if (leases.has(row.id) || row.id > durable) continue;
        due = row.next_at;
        break;
      }
      const lease = leases.earliest(integration);
      if (due === undefined) return lease;
      return lease === undefined ? due : Math.min(due, lease);
    },
  };
}

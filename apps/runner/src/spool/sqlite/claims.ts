import type Database from 'better-sqlite3';
import type { ClaimOptions, JobState } from '../types.js';

/**
 * Claims and leases: which due jobs an integration's lane gets next, under per-user order, and
 * the leases that bring a crashed (or hung) runner's jobs back.
 */
export interface Claims {
  /** Leases due jobs; the rows as protocol.ts `jobFields` (flat). */
  claim(integration: string, options: ClaimOptions): (string | number | null)[];
  renew(jobIds: readonly number[], until: number): void;
  /** Earliest due time among waiting jobs or leases, or undefined. */
  nextDueAt(integration: string): number | undefined;
  /** On open: a runner that died left its jobs leased; they are due again at once. */
  recoverAll(): void;
}

interface DueRow {
  id: number;
  user_key: string;
  next_at: number;
  state: string;
}

interface HoldRow {
  user_key: string;
  id: number;
  state: JobState;
  next_at: number;
}

/** How many due-ordered pages a claim reads looking for unblocked users before giving up for this round. */
const claimScanPages = 4;

export function createClaims(db: Database.Database): Claims {
  const q = {
    recoverLeases: db.prepare(
      `UPDATE jobs SET state = CASE WHEN attempts > 0 THEN 'retry' ELSE 'pending' END, lease_until = NULL
       WHERE integration = ? AND state = 'inflight' AND lease_until <= ?`,
    ),
    recoverAll: db.prepare(`UPDATE jobs SET state = CASE WHEN attempts > 0 THEN 'retry' ELSE 'pending' END, lease_until = NULL WHERE state = 'inflight'`),
    // Order matches the jobs_due index exactly (ties: pending before retry, then arrival), so no sort.
    dueFirst: db.prepare<[string, number, number], DueRow>(
      `SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') AND next_at <= ?
       ORDER BY next_at, state, id LIMIT ?`,
    ),
    dueAfter: db.prepare<[string, number, number, string, number, number], DueRow>(
      `SELECT id, user_key, next_at, state FROM jobs WHERE integration = ? AND state IN ('pending', 'retry') AND next_at <= ?
       AND (next_at, state, id) > (?, ?, ?) ORDER BY next_at, state, id LIMIT ?`,
    ),
    // The holds of all new users of a page in one statement (one jobs_hold seek each, in SQLite, not one call each).
    userHolds: db.prepare<[string, string], HoldRow>(
      `SELECT user_key, id, state, next_at FROM jobs WHERE integration = ? AND state IN ('inflight', 'retry')
       AND user_key IN (SELECT value FROM json_each(?)) ORDER BY user_key, id`,
    ),
    // A job found held behind a user's retry moves to that retry time, so later scans skip it.
    deferMany: db.prepare(`UPDATE jobs SET next_at = d.value ->> 1 FROM json_each(?) AS d WHERE jobs.id = d.value ->> 0`),
    // Bulk statements take a JSON array of ids: one call per claim, not one per job.
    lease: db.prepare(`UPDATE jobs SET state = 'inflight', lease_until = ? WHERE id IN (SELECT value FROM json_each(?))`),
    leasedJobs: db
      .prepare<[string]>(
        `SELECT j.id, j.integration, j.message_id, j.user_key, j.attempts, j.first_attempt_at, j.batch_key, e.body
         FROM json_each(?) AS k JOIN jobs j ON j.id = k.value LEFT JOIN events e ON e.seq = j.event_seq ORDER BY k.key`,
      )
      .raw(),
    renew: db.prepare(`UPDATE jobs SET lease_until = ? WHERE id IN (SELECT value FROM json_each(?)) AND state = 'inflight'`),
    nextDue: db.prepare<[string], { due: number | null }>(`SELECT MIN(next_at) AS due FROM jobs WHERE integration = ? AND state IN ('pending', 'retry')`),
    nextLease: db.prepare<[string], { due: number | null }>(`SELECT MIN(lease_until) AS due FROM jobs WHERE integration = ? AND state = 'inflight'`),
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
   * first job in flight or waiting to retry (jobs_hold, small). Due jobs are read in due
   * order; a user's pending jobs are due in id order (appends are, and only retries move
   * later), so the earlier ones come first in the scan. A user's due retries join its claim.
   */
  const claimTx = db.transaction((integration: string, opts: ClaimOptions): (string | number | null)[] => {
    q.recoverLeases.run(integration, opts.now);
    const users = new Map<string, UserClaim>();
    const deferred: [number, number][] = [];
    let count = 0;
    /** Holds of users read ahead (a page at a time), not yet met in due order. */
    const holdsOf = new Map<string, HoldRow[]>();
    const readHolds = (rows: DueRow[], from: number): void => {
      const fresh = new Set<string>();
      for (let i = from; i < rows.length; i++) {
        const key = rows[i]!.user_key;
        if (!users.has(key) && !holdsOf.has(key)) fresh.add(key);
      }
      for (const key of fresh) holdsOf.set(key, []);
      for (const h of q.userHolds.all(integration, JSON.stringify([...fresh]))) holdsOf.get(h.user_key)!.push(h);
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
        count++;
      }
      return user;
    };
    let cursor: DueRow | undefined;
    scan: for (let page = 0; page < claimScanPages; page++) {
      const rows =
        cursor === undefined
          ? q.dueFirst.all(integration, opts.now, opts.limit)
          : q.dueAfter.all(integration, opts.now, cursor.next_at, cursor.state, cursor.id, opts.limit);
      for (let i = 0; i < rows.length; i++) {
        if (count >= opts.limit) break scan;
        const row = rows[i]!;
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
      if (rows.length < opts.limit) break;
      cursor = rows[rows.length - 1]!;
    }
    if (deferred.length > 0) q.deferMany.run(JSON.stringify(deferred));
    const claimed = [...users.values()].flatMap((u) => u.ids.sort((a, b) => a - b));
    if (claimed.length === 0) return [];
    const ids = JSON.stringify(claimed);
    q.lease.run(opts.now + opts.leaseMs, ids);
    return (q.leasedJobs.all(ids) as (string | number | null)[][]).flat();
  });

  return {
    claim: (integration, opts) => (opts.limit <= 0 ? [] : claimTx(integration, opts)),
    renew(jobIds, until) {
      if (jobIds.length > 0) q.renew.run(until, JSON.stringify(jobIds));
    },
    nextDueAt(integration) {
      const times = [q.nextDue.get(integration)?.due, q.nextLease.get(integration)?.due].filter((t): t is number => typeof t === 'number');
      return times.length === 0 ? undefined : Math.min(...times);
    },
    recoverAll() {
      q.recoverAll.run();
    },
  };
}

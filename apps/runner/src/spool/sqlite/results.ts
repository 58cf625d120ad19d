import type Database from 'better-sqlite3';
import { SpoolError } from '../errors.js';
import type { ClaimHints } from './claim-hints.js';
import type { Leases } from './leases.js';
import type { PackedLog } from './log-codec.js';
import { updateFields } from './protocol.js';

/**
 * Results: the outcomes of claimed jobs, written in one transaction per complete() call.
 * Every non-release update counts one attempt. The attempts of one call go into one
 * attempt_log row (its records and the exchanges they share, as the front packed them), and each job
 * appends "<row>:<index>" to its history: a 1000-record batch is one row insert and one
 * UPDATE per distinct outcome, not a row and two index entries per record.
 */
export interface CompleteCall {
  at: number;
  /** The call's attempt records and exchanges, packed (log-codec.ts); null when no update is an attempt. */
  records: PackedLog | null;
  exchanges: PackedLog | null;
  updates: readonly (string | number | null)[];
}

export interface Results {
  /**
   * Several complete() calls in one transaction, each still its own attempt_log row; if that
   * fails, each in a transaction of its own, so one bad call fails alone. Per call: undefined, or
   * why it failed.
   */
  completeAll(calls: readonly CompleteCall[]): (string | undefined)[];
  /** Transactions committed by completeAll so far. */
  readonly transactions: number;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function createResults(db: Database.Database, leases: Leases, hints: ClaimHints): Results {
  const q = {
    // A job given back is due as it was (it never left pending or retry in the file), or at retryAt.
    release: db.prepare(
      `UPDATE jobs SET state = CASE WHEN attempts > 0 THEN 'retry' ELSE 'pending' END,
       next_at = COALESCE(?, next_at), updated_at = ? WHERE id = ? AND state IN ('pending', 'retry')`,
    ),
    insertLog: db.prepare('INSERT INTO attempt_log (records, exchanges, refs) VALUES (?, ?, ?)'),
    // Jobs with the same outcome (a batch's delivered records) are finished in one statement ([[id, "row:index"], ...]).
    finishMany: db.prepare(
      `UPDATE jobs SET state = ?, attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?), next_at = COALESCE(?, next_at),
       lease_until = NULL, updated_at = ?, last_result = ?, batch_key = NULL,
       history = CASE WHEN history IS NULL THEN d.value ->> 1 ELSE history || ',' || (d.value ->> 1) END
       FROM json_each(?) AS d WHERE jobs.id = d.value ->> 0`,
    ),
    // Idempotent retries: each job's batch tag, after finishMany cleared the old ones ([[id, tag], ...]).
    tagBatches: db.prepare(`UPDATE jobs SET batch_key = d.value ->> 1 FROM json_each(?) AS d WHERE jobs.id = d.value ->> 0`),
  };

  /**
   * One complete() call's SQL, inside the caller's transaction. Returns what to do in memory once
   * that transaction is committed (leases dropped, claim hints moved): a failed write changes
   * nothing, and its jobs come back when their leases expire.
   */
  const write = (call: CompleteCall): (() => void) => {
    const { at, updates: u } = call;
    let attempts = 0;
    /** Per outcome: the jobs and the index of each one's record. */
    const groups = new Map<string, { state: string; at: number; retryAt: number | null; result: string; refs: [number, number][] }>();
    const tags: [number, string][] = [];
    const ids: number[] = [];
    const dueAgain: [string | undefined, number | undefined][] = [];
    for (let i = 0; i < u.length; i += updateFields) {
      const id = u[i] as number;
      const state = u[i + 1] as string;
      const attemptAt = u[i + 2] as number;
      const retryAt = u[i + 3] as number | null;
      const integration = leases.integrationOf(id);
      ids.push(id);
      if (state === 'release') {
        if (integration !== undefined) {
          q.release.run(retryAt, at, id);
          dueAgain.push([integration, retryAt ?? undefined]);
        }
        continue;
      }
      if (state === 'retry') dueAgain.push([integration, retryAt ?? undefined]);
      const result = u[i + 4] as string;
      const batch = u[i + 5] as string | null;
      if (state === 'retry' && batch !== null) tags.push([id, batch]);
      const key = `${state}|${attemptAt}|${retryAt}|${result}`;
      const group = groups.get(key);
      const ref: [number, number] = [id, attempts++];
      if (group === undefined) groups.set(key, { state, at: attemptAt, retryAt, result, refs: [ref] });
      else group.refs.push(ref);
    }
    if (attempts > 0) {
      if (call.records === null || call.exchanges === null) throw new SpoolError(`a complete() call with ${attempts} attempts carries no records`);
      const row = Number(q.insertLog.run(call.records, call.exchanges, attempts).lastInsertRowid);
      for (const g of groups.values()) {
        q.finishMany.run(g.state, g.at, g.retryAt, at, g.result, JSON.stringify(g.refs.map(([id, index]) => [id, `${row}:${index}`])));
      }
      if (tags.length > 0) q.tagBatches.run(JSON.stringify(tags));
    }
    return () => {
      for (const id of ids) leases.remove(id);
      for (const [integration, dueAt] of dueAgain) hints.dueAgain(integration, dueAt);
    };
  };

  /** Several calls in one transaction: one commit (WAL frames for the pages they share written once), not one each. */
  const writeAll = db.transaction((calls: readonly CompleteCall[]) => calls.map((c) => write(c)));
  let transactions = 0;
  const commit = (calls: readonly CompleteCall[]): void => {
    const done = writeAll(calls);
    transactions++;
    for (const d of done) d();
  };

  const completeAll = (calls: readonly CompleteCall[]): (string | undefined)[] => {
    const live = calls.filter((c) => c.updates.length > 0);
    try {
      if (live.length > 0) commit(live);
      return calls.map(() => undefined);
    } catch (error) {
      if (live.length <= 1) return calls.map((c) => (c.updates.length > 0 ? message(error) : undefined));
    }
    // One bad call must not fail its neighbours: each in its own transaction.
    return calls.map((c) => {
      if (c.updates.length === 0) return undefined;
      try {
        commit([c]);
        return undefined;
      } catch (error) {
        return message(error);
      }
    });
  };

  return {
    completeAll,
    get transactions() {
      return transactions;
    },
  };
}

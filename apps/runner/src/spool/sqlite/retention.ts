import type Database from 'better-sqlite3';
import { finalCondition, keyBucketSize } from './schema.js';

/**
 * Retention of the delivery log: finished jobs older than a time leave with what nothing else
 * refers to any more (their events, lookup keys and attempt rows).
 */
export interface Retention {
  /** Deletes at most `limit` final jobs last updated before `before`; returns how many. */
  prune(before: number, limit: number): number;
}

export function createRetention(db: Database.Database): Retention {
  const q = {
    candidates: db.prepare<[number, number], { id: number; event_seq: number; history: string | null }>(
      `SELECT id, event_seq, history FROM jobs WHERE ${finalCondition} AND updated_at < ? LIMIT ?`,
    ),
    deleteJobs: db.prepare(`DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?))`),
    // Attempt rows count the jobs listing them ([[row, n], ...]); a row no job lists goes.
    dropRefs: db.prepare(`UPDATE attempt_log SET refs = refs - (d.value ->> 1) FROM json_each(?) AS d WHERE attempt_log.id = d.value ->> 0`),
    deleteLogs: db.prepare(`DELETE FROM attempt_log WHERE id IN (SELECT value FROM json_each(?)) AND refs <= 0`),
    orphans: db.prepare<[string], { seq: number; id_hash: number }>(
      `SELECT seq, id_hash FROM events WHERE seq IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.event_seq = events.seq)`,
    ),
    deleteKeys: db.prepare(`DELETE FROM event_keys WHERE (bucket, id_hash, seq) IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))`),
    deleteEvents: db.prepare(`DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?))`),
  };

  const pruneTx = db.transaction((before: number, limit: number): number => {
    const rows = q.candidates.all(before, Math.max(1, limit));
    if (rows.length === 0) return 0;
    q.deleteJobs.run(JSON.stringify(rows.map((r) => r.id)));
    const refs = new Map<number, number>();
    for (const r of rows) {
      if (r.history === null || r.history === '') continue;
      for (const ref of r.history.split(',')) {
        const row = Number(ref.slice(0, ref.indexOf(':')));
        refs.set(row, (refs.get(row) ?? 0) + 1);
      }
    }
    if (refs.size > 0) {
      q.dropRefs.run(JSON.stringify([...refs]));
      q.deleteLogs.run(JSON.stringify([...refs.keys()]));
    }
    const orphans = q.orphans.all(JSON.stringify([...new Set(rows.map((r) => r.event_seq))]));
    if (orphans.length > 0) {
      q.deleteKeys.run(JSON.stringify(orphans.map((o) => [Math.floor(o.seq / keyBucketSize), o.id_hash, o.seq])));
      q.deleteEvents.run(JSON.stringify(orphans.map((o) => o.seq)));
    }
    return rows.length;
  });

  return { prune: pruneTx };
}

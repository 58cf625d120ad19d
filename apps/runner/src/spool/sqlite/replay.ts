import type Database from 'better-sqlite3';
import type { JobState } from '../types.js';

/** Replay: final jobs (default: dead) back to pending with their attempts reset. */
export interface Replay {
  replay(at: number, filter: { integration?: string; state?: JobState; messageIds?: string[] }): number;
}

/** `eventSeqs`: the stored events of a message id (the delivery log's lookup). */
export function createReplay(db: Database.Database, eventSeqs: (messageId: string) => number[]): Replay {
  return {
    replay(at, filter) {
      const state = filter.state ?? 'dead';
      if (state === 'inflight') return 0;
      const where = ['state = ?'];
      const args: (string | number)[] = [state];
      if (filter.integration !== undefined) {
        where.push('integration = ?');
        args.push(filter.integration);
      }
      if (filter.messageIds !== undefined) {
        const seqs = [...new Set(filter.messageIds)].flatMap(eventSeqs);
        if (seqs.length === 0) return 0;
        where.push('event_seq IN (SELECT value FROM json_each(?))');
        args.push(JSON.stringify(seqs));
      }
      const info = db
        .prepare(`UPDATE jobs SET state = 'pending', attempts = 0, first_attempt_at = NULL, next_at = ?, lease_until = NULL, updated_at = ?, batch_key = NULL WHERE ${where.join(' AND ')}`)
        .run(at, at, ...args);
      return info.changes;
    },
  };
}

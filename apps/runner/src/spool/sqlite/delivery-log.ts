import type Database from 'better-sqlite3';
import type { DeliveryResult, Exchange, SignalEvent } from '@signal/core';
import type { AttemptRecord, DeliveryEntry, DeliveryQuery, EventDetail, EventPage, EventQuery, JobState, QueueStats } from '../types.js';
import { createEventFinder } from './find-events.js';
import type { Leases } from './leases.js';
import type { MessageIndex } from './message-index.js';
import { unpackLog } from './log-codec.js';
import { finalCondition } from './schema.js';

/**
 * The delivery log's queries: the job list (newest first, by integration and state), an event's
 * detail with every attempt, queue stats and the backlog. Read-only.
 */
export interface DeliveryLog {
  deliveries(query: DeliveryQuery): DeliveryEntry[];
  event(messageId: string, source?: string): EventDetail | undefined;
  /** Events with their deliveries, newest first, by message id, user and name, in bounded steps (find-events.ts). */
  findEvents(query: EventQuery): EventPage;
  stats(at: number): QueueStats[];
  backlog(): number;
  /** Seqs of the stored events with this message id (any source), newest first. */
  eventSeqs(messageId: string): number[];
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
  history: string | null;
}

const finalStates = ['delivered', 'rejected', 'dropped', 'dead'] as const;
/** An SQL list of known state names (never user text). */
const sqlList = (names: readonly string[]): string => `(${names.map((n) => `'${n.replace(/[^a-z]/g, '')}'`).join(', ')})`;
const entryColumns = 'id, event_seq, integration, message_id, user_key, event_type, event_name, state, attempts, first_attempt_at, next_at, lease_until, created_at, updated_at, last_result';

export function createDeliveryLog(db: Database.Database, index: MessageIndex, leases: Leases): DeliveryLog {
  const q = {
    eventRow: db.prepare<[number], { seq: number; message_id: string; source: string; body: string }>('SELECT seq, message_id, source, body FROM events WHERE seq = ?'),
    jobsOfEvent: db.prepare<[number], JobRow>('SELECT * FROM jobs WHERE event_seq = ? ORDER BY id'),
    // A batch row's records and exchanges (log-codec.ts: deflated when large since v7, else JSON text).
    logRow: db.prepare<[number], { records: Buffer | string; exchanges: Buffer | string }>('SELECT records, exchanges FROM attempt_log WHERE id = ?'),
    // One query per partial index, each grouped in that index's own order: counting reads
    // index entries only, with no sorter (1M queued jobs stay cheap to count).
    countOpen: db.prepare<[], { integration: string; pending: number; retry: number; oldest: number }>(
      `SELECT integration, SUM(state = 'pending') AS pending, SUM(state = 'retry') AS retry, MIN(id) AS oldest
       FROM jobs WHERE state IN ('pending', 'retry') GROUP BY integration`,
    ),
    countFinal: db.prepare<[], { integration: string; state: JobState; n: number }>(
      `SELECT integration, state, COUNT(*) AS n FROM jobs WHERE ${finalCondition} GROUP BY integration, state`,
    ),
    createdAt: db.prepare<[number], { created_at: number }>('SELECT created_at FROM jobs WHERE id = ?'),
    countWaiting: db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE state IN ('pending', 'retry')`),
  };

  const toEntry = (row: JobRow): DeliveryEntry => {
    // A leased job is pending or retry in the file; it is in flight (leases.ts).
    const state: JobState = leases.has(row.id) ? 'inflight' : row.state;
    return {
      id: String(row.id),
      integration: row.integration,
      messageId: row.message_id,
      eventType: row.event_type,
      ...(row.event_name === null ? {} : { eventName: row.event_name }),
      userKey: row.user_key,
      state,
      attempts: row.attempts,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      ...(state === 'retry' || (state === 'pending' && row.attempts > 0) ? { retryAt: row.next_at } : {}),
      ...(row.last_result === null ? {} : { lastResult: JSON.parse(row.last_result) as DeliveryResult }),
    };
  };

  const history = (refs: string | null): AttemptRecord[] => {
    if (refs === null || refs === '') return [];
    /** Batch rows met in this history, unpacked once (a job's attempts are often in one row). */
    const rows = new Map<number, { records: unknown[]; exchanges: unknown[] } | undefined>();
    const rowOf = (id: number) => {
      if (!rows.has(id)) {
        const found = q.logRow.get(id);
        rows.set(id, found === undefined ? undefined : { records: unpackLog(found.records), exchanges: unpackLog(found.exchanges) });
      }
      return rows.get(id);
    };
    return refs.split(',').flatMap((ref) => {
      const [row, position] = ref.split(':');
      const found = rowOf(Number(row));
      const record = found?.records[Number(position)] as { at: number; result: DeliveryResult; x?: number; payload?: unknown } | undefined;
      if (record === undefined) return [];
      const exchange = record.x === undefined ? undefined : (found!.exchanges[record.x] as Exchange | undefined);
      return [
        {
          at: record.at,
          result: record.result,
          ...(exchange === undefined ? {} : { exchange }),
          ...('payload' in record ? { payload: record.payload } : {}),
        },
      ];
    });
  };

  const findEvents = createEventFinder(db, index, toEntry);

  const eventSeqs = (messageId: string): number[] => index.seqsOf(messageId).filter((seq) => q.eventRow.get(seq)?.message_id === messageId);

  return {
    eventSeqs,
    findEvents,

    deliveries(query) {
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
        where.push(finalCondition, wanted.length === 1 ? `state = ${sqlList(wanted).slice(1, -1)}` : `state IN ${sqlList(wanted)}`);
      } else if (query.state === 'inflight') {
        // Jobs in flight are known to the writer only (leases.ts); the file says pending or retry.
        where.push("state IN ('pending', 'retry')", 'id IN (SELECT value FROM json_each(?))');
        args.push(JSON.stringify(leases.ids(query.integration)));
      } else if (query.state !== undefined) {
        where.push('state = ?');
        args.push(query.state);
        if ((query.state === 'pending' || query.state === 'retry') && leases.size > 0) {
          where.push('id NOT IN (SELECT value FROM json_each(?))');
          args.push(JSON.stringify(leases.ids(query.integration)));
        }
      }
      if (query.before !== undefined) {
        where.push('id < ?');
        args.push(Number(query.before));
      }
      const limit = Math.max(1, Math.min(query.limit ?? 100, 1000));
      const sql = `SELECT ${entryColumns} FROM jobs ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY id DESC LIMIT ${limit}`;
      return (db.prepare(sql).all(...args) as JobRow[]).map(toEntry);
    },

    event(messageId, source) {
      // Newest first: without a source, the latest stored of the sources that used this id.
      for (const seq of index.seqsOf(messageId)) {
        const row = q.eventRow.get(seq);
        if (row === undefined || row.message_id !== messageId || (source !== undefined && row.source !== source)) continue;
        const deliveries = q.jobsOfEvent.all(row.seq).map((job) => ({ ...toEntry(job), history: history(job.history) }));
        return { event: JSON.parse(row.body) as SignalEvent, source: row.source, deliveries };
      }
      return undefined;
    },

    stats(at) {
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
      const inflight = new Map(leases.counts().map((c) => [c.integration, c]));
      for (const row of q.countOpen.all()) {
        const s = entry(row.integration);
        const held = inflight.get(row.integration);
        open(s, 'pending', row.pending - (held?.pending ?? 0), row.oldest);
        open(s, 'retry', row.retry - (held?.retry ?? 0), row.oldest);
        if (held !== undefined) open(s, 'inflight', held.n, held.oldest);
      }
      for (const row of q.countFinal.all()) entry(row.integration).byState[row.state] = row.n;
      return [...byIntegration.values()].sort((a, b) => a.integration.localeCompare(b.integration));
    },

    // Jobs in flight are pending or retry in the file: counted there.
    backlog: () => q.countWaiting.get()?.n ?? 0,
  };
}

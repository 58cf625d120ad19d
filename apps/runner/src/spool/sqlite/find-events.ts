import type Database from 'better-sqlite3';
import type { DeliveryEntry, EventPage, EventQuery, EventSummary } from '../types.js';
import type { MessageIndex } from './message-index.js';

/**
 * Most events one findEvents call examines. The store thread runs one request at a time, so a
 * search by user or name over a week of events would hold claims, results and appends for as
 * long as it reads; bounded steps keep each call short, and the caller asks again with `next`.
 * A message id is a lookup through the message index and needs no bound.
 */
export const findEventsScanLimit = 5_000;

interface SummaryRow {
  seq: number;
  message_id: string;
  source: string;
  received_at: number;
  type: string | null;
  name: string | null;
  user_id: string | null;
  anonymous_id: string | null;
}

/** `findEvents` for the SQLite spool; `jobEntry` turns a jobs row into its delivery-log entry (leases applied). */
export function createEventFinder<Row extends { event_seq: number }>(db: Database.Database, index: MessageIndex, jobEntry: (row: Row) => DeliveryEntry) {
  const jobsOf = db.prepare<[string], Row>('SELECT * FROM jobs WHERE event_seq IN (SELECT value FROM json_each(?)) ORDER BY id');
  const newest = db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM events');
  const olderExists = db.prepare<[number], { one: number }>('SELECT 1 AS one FROM events WHERE seq < ? LIMIT 1');

  return (query: EventQuery): EventPage => {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.messageId !== undefined) {
      // Candidates by the id's hash (message-index.ts), confirmed by the id itself.
      where.push('e.seq IN (SELECT value FROM json_each(?))', 'e.message_id = ?');
      args.push(JSON.stringify(index.seqsOf(query.messageId)), query.messageId);
    }
    if (query.user !== undefined) {
      where.push(`(e.body ->> '$.user_id' = ? OR e.body ->> '$.anonymous_id' = ?)`);
      args.push(query.user, query.user);
    }
    if (query.eventName !== undefined) {
      where.push(`lower(coalesce(e.body ->> '$.event', e.body ->> '$.name')) = lower(?)`);
      args.push(query.eventName);
    }
    if (query.integration !== undefined || query.state !== undefined) {
      const job: string[] = ['j.event_seq = e.seq'];
      if (query.integration !== undefined) {
        job.push('j.integration = ?');
        args.push(query.integration);
      }
      const states = query.state === 'failed' ? ['rejected', 'dead'] : query.state === undefined ? [] : [query.state];
      if (states.length > 0) {
        job.push(`j.state IN (${states.map(() => '?').join(', ')})`);
        args.push(...states);
      }
      where.push(`EXISTS (SELECT 1 FROM jobs j WHERE ${job.join(' AND ')})`);
    }
    const limit = Math.max(1, Math.min(query.limit ?? 50, 500));
    const cursor = query.before === undefined ? undefined : Number(query.before);
    const before = cursor !== undefined && Number.isInteger(cursor) && cursor > 0 ? cursor : (newest.get()?.seq ?? 0) + 1;
    const bounded = query.messageId === undefined;
    const floor = Math.max(0, before - findEventsScanLimit);
    where.push('e.seq < ?');
    args.push(before);
    if (bounded) {
      where.push('e.seq >= ?');
      args.push(floor);
    }
    const rows = db
      .prepare<(string | number)[], SummaryRow>(
        `SELECT e.seq, e.message_id, e.source, e.received_at, e.body ->> '$.type' AS type, coalesce(e.body ->> '$.event', e.body ->> '$.name') AS name,
         e.body ->> '$.user_id' AS user_id, e.body ->> '$.anonymous_id' AS anonymous_id
         FROM events e WHERE ${where.join(' AND ')} ORDER BY e.seq DESC LIMIT ${limit}`,
      )
      .all(...args);

    const bySeq = new Map<number, DeliveryEntry[]>();
    if (rows.length > 0) {
      for (const job of jobsOf.all(JSON.stringify(rows.map((r) => r.seq)))) {
        const list = bySeq.get(job.event_seq) ?? [];
        list.push(jobEntry(job));
        bySeq.set(job.event_seq, list);
      }
    }
    const events = rows.map(
      (r): EventSummary => ({
        messageId: r.message_id,
        source: r.source,
        type: r.type ?? 'unknown',
        ...(r.name === null ? {} : { eventName: r.name }),
        ...(r.user_id === null ? {} : { userId: r.user_id }),
        ...(r.anonymous_id === null ? {} : { anonymousId: r.anonymous_id }),
        receivedAt: r.received_at,
        deliveries: bySeq.get(r.seq) ?? [],
      }),
    );
    let next: string | undefined;
    if (rows.length === limit) next = String(rows[rows.length - 1]!.seq);
    else if (bounded && floor > 0 && olderExists.get(floor) !== undefined) next = String(floor);
    return next === undefined ? { events } : { events, next };
  };
}

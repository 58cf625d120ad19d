import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { userKeyOf, type Exchange, type SignalEvent } from '@signal/core';
import type { AttemptRecord, DeliveryDetail, DeliveryEntry, DeliveryQuery, EventDetail, EventPage, EventQuery, EventSummary, JobState, QueueStats } from '../types.js';
import type { EventIndex } from './event-index.js';
import type { ExchangeStore } from './exchanges.js';
import type { Leases } from './leases.js';
import { untoken, type Names } from './names.js';
import { decode, eventName, maxLoggedAttempts, type ChunkRecord, type CommitRecord, type LogBatch, type LogRecord, type RetryRecord } from './records.js';
import { scanStream } from './scan.js';
import type { Wire } from './wire.js';

/**
 * Most events one findEvents call examines (as the SQLite spool: a search by user or name over
 * a long log goes back in bounded steps, the caller asks again with `next`).
 */
const findEventsScanLimit = 5_000;

/** A job's delivery-log entry: its latest record, with what earlier records said. */
interface Entry extends LogRecord {
  integration: string;
  lastResult?: LogRecord['r'];
}

/**
 * The read side: stats, the delivery log, event detail. Counts come from stream
 * info (subjects carry job counts); the log is read per (integration, commit)
 * subject for one event, and scanned for listings and replays (slow paths).
 */
export class Queries {
  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly wire: Wire,
    private readonly names: Names,
    private readonly leases: Leases,
    private readonly index: EventIndex,
    private readonly exchanges: ExchangeStore,
  ) {}

  /**
   * Unfinished jobs are the jobs of WORK chunks (subjects say how many) not yet recorded, plus
   * the retry queue's; of those, the ones this runner handed out are in flight (another runner's
   * count as pending here), retry-queue jobs after a failed attempt are `retry`. Final states are
   * the TALLY counts, dead letters DEAD's messages.
   */
  async stats(): Promise<QueueStats[]> {
    const [work, retry, dead, tally] = await Promise.all(
      [
        [this.names.streams.work, this.names.workFilter()],
        [this.names.streams.retry, this.names.retryFilter()],
        [this.names.streams.dead, this.names.deadFilter()],
        [this.names.streams.tally, this.names.tallyFilter],
      ].map(async ([stream, filter]) => Object.entries((await this.jsm.streams.info(stream!, { subjects_filter: filter! })).state.subjects ?? {})),
    );
    const per = new Map<string, { jobs: number; retrying: number; waiting: number; dead: number; final: Partial<Record<JobState, number>> }>();
    const of = (integration: string) => {
      let s = per.get(integration);
      if (s === undefined) per.set(integration, (s = { jobs: 0, retrying: 0, waiting: 0, dead: 0, final: {} }));
      return s;
    };
    for (const [subject, count] of [...work!, ...retry!, ...dead!, ...tally!]) {
      const p = this.names.parse(subject);
      if (p === undefined || count === 0) continue;
      const s = of(p.integration);
      if (p.kind === 'work') s.jobs += p.n * count;
      else if (p.kind === 'retry') {
        s.waiting += count;
        if (p.retryKind === 'r') s.retrying += count;
      } else if (p.kind === 'dead') s.dead += count;
      else if (p.kind === 'tally') s.final[p.state as JobState] = (s.final[p.state as JobState] ?? 0) + p.n * count;
    }
    for (const integration of this.leases.integrations()) of(integration);
    const now = Date.now();
    return Promise.all(
      [...per.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(async ([integration, s]): Promise<QueueStats> => {
          const local = this.leases.counts(integration);
          const depth = Math.max(0, s.jobs - local.doneInHeld + s.waiting);
          const inflight = Math.min(local.out, depth);
          const retrying = Math.min(Math.max(0, s.retrying - local.outRetrying), depth - inflight);
          const pending = depth - inflight - retrying;
          const byState: Partial<Record<JobState, number>> = {};
          for (const [state, n] of Object.entries({ ...s.final, dead: s.dead, pending, inflight, retry: retrying })) if (n > 0) byState[state as JobState] = n;
          return { integration, depth, oldestAgeMs: depth === 0 ? 0 : Math.max(0, now - (await this.oldest(integration, now))), byState };
        }),
    );
  }

  /** Jobs not yet final, all integrations: two stream-info calls (what `storage.max_backlog` checks). */
  async backlog(): Promise<number> {
    const [work, retry] = await Promise.all(
      [
        [this.names.streams.work, this.names.workFilter()],
        [this.names.streams.retry, this.names.retryFilter()],
      ].map(async ([stream, filter]) => Object.entries((await this.jsm.streams.info(stream!, { subjects_filter: filter! })).state.subjects ?? {})),
    );
    let jobs = 0;
    for (const [subject, count] of [...work!, ...retry!]) {
      const p = this.names.parse(subject);
      if (p?.kind === 'work') jobs += p.n * count;
      else if (p?.kind === 'retry') jobs += count;
    }
    const recorded = this.leases.integrations().reduce((n, integration) => n + this.leases.counts(integration).doneInHeld, 0);
    return Math.max(0, jobs - recorded);
  }

  /** Created-at of the oldest unfinished job (WORK and the retry queue are oldest first). */
  private async oldest(integration: string, now: number): Promise<number> {
    const [chunk, retry] = await Promise.all([
      this.wire.get(this.names.streams.work, { next_by_subj: this.names.workFilter(integration), seq: 1 }).catch(() => null),
      this.wire.get(this.names.streams.retry, { next_by_subj: this.names.retryFilter(integration), seq: 1 }).catch(() => null),
    ]);
    return Math.min(chunk === null ? now : chunk.json<ChunkRecord>().t, retry === null ? now : retry.json<RetryRecord>().createdAt);
  }

  /** Every job's latest log record (scan of LOG, in stream order). */
  async logEntries(integration?: string): Promise<Map<string, Entry>> {
    const entries = new Map<string, Entry>();
    await scanStream(this.nc, this.jsm, this.names.streams.log, { filter: this.names.logFilter(integration) }, (page) => {
      for (const m of page) {
        const subjectIntegration = untoken(m.subject.split('.')[2] ?? '');
        for (const { a: _attempt, ...record } of decode<LogBatch>(m.data).records) {
          // The attempt (payload, exchange id) is for event(); an entry keeps the summary only.
          const before = entries.get(record.id);
          entries.set(record.id, { ...record, integration: subjectIntegration, ...(record.r !== undefined ? { lastResult: record.r } : before?.lastResult !== undefined ? { lastResult: before.lastResult } : {}) });
        }
      }
    });
    return entries;
  }

  async deliveries(query: DeliveryQuery): Promise<DeliveryEntry[]> {
    const limit = query.limit ?? 100;
    const entries = await this.logEntries(query.integration);
    type Listed = DeliveryEntry & { o: [number, number] };
    // Newest first by creation (stable while entries change state), then by place in the stream.
    const order = (a: Listed, b: Listed) => b.createdAt - a.createdAt || b.o[0] - a.o[0] || b.o[1] - a.o[1] || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
    const matches = (state: JobState) => query.state === undefined || state === query.state || (query.state === 'failed' && (state === 'rejected' || state === 'dead'));
    const logged: Listed[] = [...entries.values()].map((e) => ({ ...toEntry(e), o: e.o }));
    let cursor = query.before === undefined ? undefined : logged.find((e) => e.id === query.before);
    const pending: Listed[] = [];
    // Jobs never recorded are pending in their chunk: WORK is read newest first, only as far as the page needs.
    if (query.state === undefined || query.state === 'pending') {
      await this.newestChunks(query.integration, (seq, integration, chunk) => {
        for (let i = chunk.jobs.length - 1; i >= 0; i--) {
          const job = chunk.jobs[i]!;
          const id = this.names.jobId(integration, job.s, job.e.message_id);
          if (entries.has(id)) continue;
          const entry: Listed = { ...pendingEntry(id, integration, job.e, chunk.t), o: [seq, i] };
          if (query.before !== undefined && cursor === undefined) {
            if (id === query.before) cursor = entry;
            continue;
          }
          if (cursor === undefined || order(cursor, entry) < 0) pending.push(entry);
        }
        return pending.length >= limit;
      });
    }
    if (query.before !== undefined && cursor === undefined) return [];
    return [...logged, ...pending]
      .filter((e) => matches(e.state) && (cursor === undefined || order(cursor, e) < 0))
      .sort(order)
      .slice(0, limit)
      .map(({ o: _o, ...entry }) => entry);
  }

  /**
   * WORK chunks, newest first, until `visit` says enough. WORK is a work queue (other consumers may
   * not overlap the runners'), so this reads with direct gets, window by window from the end.
   */
  private newestChunks(integration: string | undefined, visit: (seq: number, integration: string, chunk: ChunkRecord) => boolean): Promise<void> {
    return this.newest<ChunkRecord>(this.names.streams.work, this.names.workFilter(integration), Infinity, (seq, subject, chunk) => {
      const owner = this.names.parse(subject)?.integration;
      return owner !== undefined && visit(seq, owner, chunk);
    });
  }

  /** A stream's messages on `filter` below sequence `before`, newest first, by direct gets, until `visit` says enough. */
  private async newest<T>(stream: string, filter: string, before: number, visit: (seq: number, subject: string, value: T) => boolean): Promise<void> {
    const { first_seq: first, last_seq: last } = (await this.jsm.streams.info(stream)).state;
    const window = 256;
    for (let end = Math.min(last, before - 1); end >= first && end > 0; end -= window) {
      const found: { seq: number; subject: string; value: T }[] = [];
      for (let seq = Math.max(first, end - window + 1); seq <= end; ) {
        const m = await this.wire.get(stream, { next_by_subj: filter, seq });
        if (m === null || m.seq > end) break;
        found.push({ seq: m.seq, subject: m.subject, value: m.json<T>() });
        seq = m.seq + 1;
      }
      for (const { seq, subject, value } of found.reverse()) if (visit(seq, subject, value)) return;
    }
  }

  /**
   * The event debugger's list and search: events newest first (EVENTS commits, read backwards),
   * each with its deliveries. A message id goes through the event index; other searches examine
   * at most findEventsScanLimit events per call and say where to go on (`next`: a commit sequence).
   */
  async findEvents(query: EventQuery): Promise<EventPage> {
    const limit = Math.max(1, Math.min(query.limit ?? 50, 500));
    const name = query.eventName?.toLowerCase();
    const matches = (item: CommitRecord['items'][number]) =>
      (query.messageId === undefined || item.e.message_id === query.messageId) &&
      (query.user === undefined || item.e.user_id === query.user || item.e.anonymous_id === query.user) &&
      (name === undefined || eventName(item.e)?.toLowerCase() === name);
    const inState = (state: JobState) => query.state === undefined || state === query.state || (query.state === 'failed' && (state === 'rejected' || state === 'dead'));
    const summary = async (record: CommitRecord, item: CommitRecord['items'][number]): Promise<EventSummary | undefined> => {
      const deliveries = await Promise.all([...new Set(item.i)].map(async (integration) => {
        const { history: _h, ...entry } = await this.detail(integration, record, item);
        return entry;
      }));
      if ((query.integration !== undefined || query.state !== undefined) && !deliveries.some((d) => (query.integration === undefined || d.integration === query.integration) && inState(d.state))) return undefined;
      const n = eventName(item.e);
      return {
        messageId: item.e.message_id,
        source: item.s,
        type: item.e.type,
        ...(n === undefined ? {} : { eventName: n }),
        ...(item.e.user_id === undefined ? {} : { userId: item.e.user_id }),
        ...(item.e.anonymous_id === undefined ? {} : { anonymousId: item.e.anonymous_id }),
        receivedAt: record.t,
        deliveries,
      };
    };
    if (query.messageId !== undefined) {
      const found = await this.index.find(query.messageId);
      const one = found === undefined || !matches(found.item) ? undefined : await summary(found.record, found.item);
      return { events: one === undefined ? [] : [one] };
    }
    // Cursor `<commit seq>.<item index>`: the next page starts in that commit, below that item.
    const [cursorSeq, cursorItem] = (query.before ?? '').split('.').map(Number);
    const fromSeq = cursorSeq !== undefined && Number.isInteger(cursorSeq) && cursorSeq > 0 ? cursorSeq : Infinity;
    const fromItem = cursorItem !== undefined && Number.isInteger(cursorItem) && cursorItem >= 0 ? cursorItem : Infinity;
    const events: EventSummary[] = [];
    let examined = 0;
    let next: string | undefined;
    const candidates: { seq: number; i: number; record: CommitRecord; item: CommitRecord['items'][number] }[] = [];
    await this.newest<CommitRecord>(this.names.streams.events, this.names.events, fromSeq === Infinity ? Infinity : fromSeq + 1, (seq, _subject, record) => {
      const top = seq === fromSeq ? Math.min(fromItem, record.items.length) : record.items.length;
      for (let i = top - 1; i >= 0; i--) {
        examined++;
        if (matches(record.items[i]!)) candidates.push({ seq, i, record, item: record.items[i]! });
      }
      if (examined >= findEventsScanLimit || candidates.length >= limit * 4) {
        next = `${seq}.0`;
        return true;
      }
      return false;
    });
    for (const c of candidates) {
      if (events.length === limit) {
        next = `${c.seq}.${c.i + 1}`;
        break;
      }
      const found = await summary(c.record, c.item);
      if (found !== undefined) events.push(found);
    }
    return next === undefined ? { events } : { events, next };
  }

  /** The log records of one commit's jobs for one integration, in order. */
  async records(integration: string, commit: string): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    const subject = this.names.log(integration, commit);
    for (let seq = 1; ; ) {
      const m = await this.wire.get(this.names.streams.log, { next_by_subj: subject, seq });
      if (m === null) break;
      out.push(...m.json<LogBatch>().records);
      seq = m.seq + 1;
    }
    return out;
  }

  async event(messageId: string, source?: string): Promise<EventDetail | undefined> {
    const found = await this.index.find(messageId, source);
    if (found === undefined) return undefined;
    const { record, item } = found;
    const deliveries = await Promise.all([...new Set(item.i)].map((integration) => this.detail(integration, record, item)));
    const ids = deliveries.flatMap((d) => d.history.flatMap((a) => (a as { exchangeId?: string }).exchangeId ?? []));
    const exchanges = await this.exchanges.load(ids);
    return {
      event: item.e,
      source: item.s,
      deliveries: deliveries.map((d) => ({
        ...d,
        history: d.history.map((a) => {
          const { exchangeId, ...attempt } = a as AttemptRecord & { exchangeId?: string };
          const exchange: Exchange | undefined = exchangeId === undefined ? undefined : exchanges.get(exchangeId);
          return exchange === undefined ? attempt : { ...attempt, exchange };
        }),
      })),
    };
  }

  private async detail(integration: string, record: CommitRecord, item: CommitRecord['items'][number]): Promise<DeliveryDetail> {
    const id = this.names.jobId(integration, item.s, item.e.message_id);
    const mine = (await this.records(integration, record.c)).filter((r) => r.id === id);
    if (mine.length === 0) return { ...pendingEntry(id, integration, item.e, record.t), history: [] };
    let entry: Entry | undefined;
    for (const r of mine) entry = { ...r, integration, ...(r.r !== undefined ? { lastResult: r.r } : entry?.lastResult !== undefined ? { lastResult: entry.lastResult } : {}) };
    const history = mine.flatMap((r) => (r.a === undefined ? [] : [r.a as AttemptRecord])).slice(-maxLoggedAttempts);
    return { ...toEntry(entry!), history };
  }
}

function pendingEntry(id: string, integration: string, event: SignalEvent, createdAt: number): DeliveryEntry {
  const name = eventName(event);
  return { id, integration, messageId: event.message_id, eventType: event.type, ...(name === undefined ? {} : { eventName: name }), userKey: userKeyOf(event), state: 'pending', attempts: 0, createdAt, updatedAt: createdAt };
}

function toEntry(e: Entry): DeliveryEntry {
  return {
    id: e.id,
    integration: e.integration,
    messageId: e.m,
    eventType: e.ty,
    ...(e.nm === undefined ? {} : { eventName: e.nm }),
    userKey: e.u,
    state: e.st,
    attempts: e.n,
    createdAt: e.ct,
    updatedAt: e.at,
    ...(e.st === 'retry' && e.ra !== undefined ? { retryAt: e.ra } : {}),
    ...(e.lastResult === undefined ? {} : { lastResult: e.lastResult }),
  };
}

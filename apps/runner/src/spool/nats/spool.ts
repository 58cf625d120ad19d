import { AckPolicy, DeliverPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { userKeyOf, type Exchange, type SignalEvent } from '@signal/core';
import {
  terminalStates,
  type AppendItem,
  type AppendResult,
  type ClaimOptions,
  type DeliveryEntry,
  type DeliveryQuery,
  type EventDetail,
  type EventPage,
  type EventQuery,
  type EventSummary,
  type Job,
  type JobState,
  type JobUpdate,
  type QueueStats,
  type Spool,
  type SpoolHealth,
} from '../types.js';
import { apiErrorCode, NatsSpoolError, wrongLastSequence } from './errors.js';
import { ExchangeStore } from './exchanges.js';
import { LastValueStore, scanStream } from './last-value.js';
import { parseTallySubject, type Names } from './names.js';
import { ackAll, pullNow, type LeasedMessage } from './pull.js';
import { decode, encode, maxLoggedAttempts, publicDetail, type DeadRecord, type EventRecord, type HoldRecord, type StoredAttempt, type StoredEntry, type WorkRecord } from './records.js';
import { TraitsMemory } from './traits.js';
import { Wire } from './wire.js';

export interface NatsSpoolTuning {
  /** How long a job held back behind its user's retrying job waits before it is looked at again. */
  holdRecheckMs: number;
  /** Upper bound on leased-but-unacked jobs per integration (includes jobs waiting out a nak delay). */
  maxAckPending: number;
  /** On close, give unfinished claims back at once (true) or leave them to expire like a crash (false). */
  releaseOnClose: boolean;
}

interface Claimed {
  message: LeasedMessage;
  work: WorkRecord;
}

/**
 * The spool on NATS JetStream. Every method talks to the cluster; the only
 * local state is the set of messages this instance has leased (needed to ack
 * them), so any number of runners can share the streams.
 */
export class NatsSpool implements Spool {
  readonly driver = 'nats' as const;
  /** Publishes and direct gets (see wire.ts for why not the JetStream client's). */
  private readonly wire: Wire;
  private readonly jsm: JetStreamManager;
  private readonly log: LastValueStore;
  private readonly holds: LastValueStore;
  private readonly events: LastValueStore;
  private readonly traits: TraitsMemory;
  private readonly exchanges: ExchangeStore;
  private readonly claimed = new Map<string, Claimed>();
  /** The latest append's failure, until an append succeeds again (health()). */
  private writeFailure: { reason: string; since: number } | undefined;
  /** Integration → ack_wait (ms) its consumer was last set up with. */
  private readonly consumers = new Map<string, number>();

  static async create(nc: NatsConnection, names: Names, tuning: NatsSpoolTuning): Promise<NatsSpool> {
    return new NatsSpool(nc, names, tuning, await jetstreamManager(nc));
  }

  private constructor(
    private readonly nc: NatsConnection,
    private readonly names: Names,
    private readonly tuning: NatsSpoolTuning,
    jsm: JetStreamManager,
  ) {
    this.jsm = jsm;
    this.wire = new Wire(nc);
    this.log = new LastValueStore(nc, this.wire, jsm, names.streams.log);
    this.holds = new LastValueStore(nc, this.wire, jsm, names.streams.hold);
    this.events = new LastValueStore(nc, this.wire, jsm, names.streams.events);
    this.traits = new TraitsMemory(new LastValueStore(nc, this.wire, jsm, names.streams.traits), names);
    this.exchanges = new ExchangeStore(this.wire, names);
    void this.watchConnection();
  }

  /** While the connection is down, appends fail at once (503) instead of waiting out the request timeout. */
  private disconnected: string | undefined;

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.disconnected = 'the connection to NATS is lost (reconnecting)';
      else if (status.type === 'reconnect') this.disconnected = undefined;
    }
  }

  // ---- ingest -------------------------------------------------------------

  async append(items: AppendItem[]): Promise<AppendResult> {
    try {
      const result = await this.appendOnce(items);
      this.writeFailure = undefined;
      return result;
    } catch (error) {
      this.writeFailure = { reason: error instanceof Error ? error.message : String(error), since: Date.now() };
      throw error;
    }
  }

  private async appendOnce(items: AppendItem[]): Promise<AppendResult> {
    if (this.disconnected !== undefined) throw new NatsSpoolError(`JetStream is unavailable: ${this.disconnected}`);
    const outcomes: ('stored' | 'duplicate')[] = new Array(items.length);
    const seen = new Set<string>();
    const firsts: number[] = [];
    items.forEach((item, i) => {
      // Message ids dedupe per source.
      const key = this.names.eventMsgId(item.source, item.event.message_id);
      if (seen.has(key)) outcomes[i] = 'duplicate';
      else {
        seen.add(key);
        firsts.push(i);
      }
    });
    const prepared = await this.traits.prepare(firsts.map((i) => items[i]!.event));
    const now = Date.now();
    const records = firsts.map((i, k): EventRecord => ({ event: prepared[k]!.event, source: items[i]!.source, integrations: items[i]!.integrations, storedAt: now }));
    // Publishes are issued in input order on one connection, so stream order is arrival order (claims are oldest first).
    const duplicates = await Promise.all(records.map((r) => this.storeEvent(r)));
    const jobs: Promise<void>[] = [];
    records.forEach((record, k) => {
      for (const integration of record.integrations) jobs.push(this.createJob(integration, record, now, duplicates[k]!));
    });
    await Promise.all(jobs);
    for (let k = 0; k < records.length; k++) {
      const memory = prepared[k]!.remember;
      if (!duplicates[k] && memory !== undefined) await this.traits.remember(memory);
      outcomes[firsts[k]!] = duplicates[k] ? 'duplicate' : 'stored';
    }
    return { outcomes };
  }

  /** Returns true if the message_id was already stored. */
  private async storeEvent(record: EventRecord): Promise<boolean> {
    const id = record.event.message_id;
    try {
      // Nats-Msg-Id dedupes inside the duplicate window; "no message on this subject yet" dedupes for ever after it.
      const ack = await this.wire.publish(this.names.event(record.source, id), encode(record), { msgID: this.names.eventMsgId(record.source, id), lastSubjectSequence: 0 });
      return ack.duplicate;
    } catch (error) {
      if (apiErrorCode(error) === wrongLastSequence) return true;
      throw new NatsSpoolError(`event ${id} was not stored`, error);
    }
  }

  /**
   * Stores one job. For a duplicate, only if its log entry is missing: the client may be
   * retrying after we failed half-way (the log entry is written after the job, so it proves the job exists).
   */
  private async createJob(integration: string, record: EventRecord, now: number, onlyIfMissing: boolean): Promise<void> {
    const messageId = record.event.message_id;
    const logSubject = this.names.log(integration, record.source, messageId);
    if (onlyIfMissing && (await this.log.get(logSubject)) !== undefined) return;
    const work: WorkRecord = { integration, source: record.source, event: record.event, createdAt: now, attempts: 0 };
    try {
      await this.wire.publish(this.names.work(integration), encode(work), { msgID: this.names.jobId(integration, record.source, messageId) });
      // Pending jobs are counted from the work stream (stats), so no tally message here. A conflict means the entry exists.
      await this.log.put(logSubject, this.newEntry(integration, record.source, record.event, now), 0);
    } catch (error) {
      throw new NatsSpoolError(`job ${integration}/${messageId} was not stored`, error);
    }
  }

  private newEntry(integration: string, source: string, event: SignalEvent, now: number): StoredEntry {
    return {
      id: this.names.jobId(integration, source, event.message_id),
      source,
      integration,
      messageId: event.message_id,
      eventType: event.type,
      ...(event.event !== undefined ? { eventName: event.event } : event.name !== undefined ? { eventName: event.name } : {}),
      userKey: userKeyOf(event),
      state: 'pending',
      attempts: 0,
      createdAt: now,
      updatedAt: now,
      history: [],
    };
  }

  /**
   * Moves a job's log entry to `state` (compare-and-set), keeping the tally of retry and final states in step:
   * the new tally message is written first and its sequence stored with the entry, the old one deleted after.
   * (Pending and in-flight jobs are counted from the work stream and its consumer instead: no writes on ingest or claim.)
   */
  private async setState(integration: string, source: string, event: SignalEvent, createdAt: number, state: JobState, change: (entry: StoredEntry) => StoredEntry): Promise<void> {
    const subject = this.names.log(integration, source, event.message_id);
    for (let i = 0; i < 20; i++) {
      const current = await this.log.get<StoredEntry>(subject);
      const entry = current?.value ?? this.newEntry(integration, source, event, createdAt);
      const tallied = state === 'retry' || terminalStates.includes(state);
      const moves = entry.state !== state || (tallied && entry.tallySeq === undefined);
      const tallySeq = !tallied ? undefined : moves ? (await this.wire.publish(this.names.tally(integration, state), '')).seq : entry.tallySeq;
      const { tallySeq: _old, ...changed } = change(entry);
      if (await this.log.put(subject, { ...changed, state, ...(tallySeq === undefined ? {} : { tallySeq }) }, current?.seq ?? 0)) {
        if (moves && entry.tallySeq !== undefined) await this.jsm.streams.deleteMessage(this.names.streams.tally, entry.tallySeq, false).catch(() => false);
        return;
      }
      if (moves && tallySeq !== undefined) await this.jsm.streams.deleteMessage(this.names.streams.tally, tallySeq, false).catch(() => false);
    }
    throw new NatsSpoolError(`gave up updating the log entry of ${integration}/${event.message_id} after 20 conflicting writes`);
  }

  // ---- delivery -----------------------------------------------------------

  private async ensureConsumer(integration: string, leaseMs: number): Promise<string> {
    const durable = this.names.consumer(integration);
    if (this.consumers.get(integration) === leaseMs) return durable;
    const config = {
      durable_name: durable,
      filter_subject: this.names.work(integration),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(leaseMs),
      max_deliver: -1,
      max_ack_pending: this.tuning.maxAckPending,
    };
    try {
      const info = await this.jsm.consumers.info(this.names.streams.work, durable).catch(() => undefined);
      if (info === undefined) await this.jsm.consumers.add(this.names.streams.work, config);
      else if (info.config.ack_wait !== config.ack_wait) await this.jsm.consumers.update(this.names.streams.work, durable, { ack_wait: config.ack_wait });
    } catch (error) {
      // Two runners creating the same durable at once: the loser finds it there.
      if ((await this.jsm.consumers.info(this.names.streams.work, durable).catch(() => undefined)) === undefined) {
        throw new NatsSpoolError(`consumer for ${integration} cannot be set up`, error);
      }
    }
    this.consumers.set(integration, leaseMs);
    return durable;
  }

  async claim(integration: string, options: ClaimOptions): Promise<Job[]> {
    const durable = await this.ensureConsumer(integration, options.leaseMs);
    const leased = await pullNow(this.nc, this.names.streams.work, durable, options.limit);
    if (leased.length === 0) return [];
    const retrying = await this.retryingUsers(integration);
    // Users with a job this runner still holds from an earlier claim. Other runners' claims are not visible here (docs/scale-out.md).
    const busy = new Set([...this.claimed.values()].filter((c) => c.work.integration === integration).map((c) => userKeyOf(c.work.event)));
    const waiting = new Set<string>();
    const jobs: Job[] = [];
    const putBack: Promise<void>[] = [];
    for (const message of leased) {
      const work = decode<WorkRecord>(message.data);
      const messageId = work.event.message_id;
      const userKey = userKeyOf(work.event);
      const hold = retrying.get(userKey);
      if (hold !== undefined && hold.messageId !== messageId) {
        // Behind the user's retrying job (which may sit later in the stream: a retry is republished).
        putBack.push(message.nak(Math.max(hold.retryAt - options.now, this.tuning.holdRecheckMs)));
        continue;
      }
      let delay: number | undefined;
      if (work.retryAt !== undefined && work.retryAt > options.now) delay = work.retryAt - options.now;
      else if (busy.has(userKey) || waiting.has(userKey)) delay = 0; // due again as soon as the earlier job is done
      if (delay !== undefined) {
        waiting.add(userKey);
        putBack.push(message.nak(delay));
        continue;
      }
      const job: Job = {
        id: this.names.jobId(integration, work.source, messageId),
        integration,
        messageId,
        userKey,
        event: work.event,
        attempts: work.attempts,
        ...(work.firstAttemptAt !== undefined ? { firstAttemptAt: work.firstAttemptAt } : {}),
        ...(work.batch !== undefined ? { batch: work.batch } : {}),
      };
      this.claimed.set(job.id, { message, work });
      jobs.push(job);
    }
    // No log write for the claim: the lease is the consumer's ack-pending state, and stats() counts it from there.
    await Promise.all(putBack);
    return jobs;
  }

  async renew(jobs: readonly Job[]): Promise<void> {
    // JetStream's "working" ack restarts the message's ack_wait (the consumer's lease) for another full period.
    await Promise.all(jobs.map((job) => this.claimed.get(job.id)?.message.working()));
  }

  async backlog(): Promise<number> {
    return (await this.stats()).reduce((n, s) => n + s.depth, 0);
  }

  health(): SpoolHealth {
    if (this.nc.isClosed()) return { writable: false, reason: 'the NATS connection is closed' };
    if (this.disconnected !== undefined) return { writable: false, reason: this.disconnected, ...(this.writeFailure === undefined ? {} : { since: this.writeFailure.since }) };
    return this.writeFailure === undefined ? { writable: true } : { writable: false, ...this.writeFailure };
  }

  /** Users of an integration with a job waiting to retry. One request when there are none (the usual case). */
  private async retryingUsers(integration: string): Promise<Map<string, HoldRecord>> {
    const out = new Map<string, HoldRecord>();
    const first = await this.wire.get(this.names.streams.hold, { next_by_subj: this.names.holdFilter(integration), seq: 1 }).catch(() => null);
    if (first === null) return out;
    for (const { value } of await this.holds.scan<HoldRecord>(this.names.holdFilter(integration))) out.set(value.userKey, value);
    return out;
  }

  async complete(updates: JobUpdate[]): Promise<void> {
    // A batch shares one exchange: stored once, referenced by id from each job's log entry.
    const exchanges = await this.exchanges.storeAll(updates.flatMap((u) => (u.state !== 'release' && u.attempt.exchange !== undefined ? [u.attempt.exchange] : [])));
    const results = await Promise.allSettled(updates.map((u) => this.record(u, exchanges)));
    // Record first, ack last: a crash in between redelivers the job (at-least-once), never loses it.
    const done = results.flatMap((r) => (r.status === 'fulfilled' && r.value !== undefined ? [r.value] : []));
    await ackAll(done);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) throw new NatsSpoolError(`${failures.length} of ${updates.length} job updates failed`, failures[0]!.reason);
  }

  /** Writes one job's outcome; returns its message when it is to be acked (not for a release, which naks here). */
  private async record(update: JobUpdate, exchanges: Map<Exchange, string>): Promise<LeasedMessage | undefined> {
    const { job } = update;
    const claimed = this.claimed.get(job.id);
    if (claimed === undefined) throw new NatsSpoolError(`job ${job.id} is not claimed by this runner (already completed, or the spool was reopened)`);
    const { message, work } = claimed;
    const holdSubject = this.names.hold(job.integration, job.userKey);
    if (update.state === 'release') {
      const retryAt = update.retryAt;
      await this.setState(job.integration, work.source, job.event, work.createdAt, retryAt === undefined ? 'pending' : 'retry', ({ retryAt: _r, ...entry }) => ({
        ...entry,
        ...(retryAt === undefined ? {} : { retryAt }),
      }));
      this.claimed.delete(job.id);
      await message.nak(retryAt === undefined ? 0 : Math.max(0, retryAt - Date.now()));
      return undefined;
    }
    const { exchange, ...rest } = update.attempt;
    const exchangeId = exchange === undefined ? undefined : exchanges.get(exchange);
    const attempt: StoredAttempt = exchangeId === undefined ? rest : { ...rest, exchangeId };
    const attempts = work.attempts + 1;
    const firstAttemptAt = work.firstAttemptAt ?? attempt.at;
    if (update.state === 'retry') {
      const { batch: _previous, ...unbatched } = work;
      const next: WorkRecord = { ...unbatched, attempts, firstAttemptAt, retryAt: update.retryAt, ...(update.batch === undefined ? {} : { batch: update.batch }) };
      // Msg id per attempt: a second runner repeating this step after a crash is deduped.
      await this.wire.publish(this.names.work(job.integration), encode(next), { msgID: `${job.id}.a${attempts}` });
      await this.holds.update<HoldRecord>(holdSubject, () => ({ messageId: job.messageId, retryAt: update.retryAt, userKey: job.userKey }));
    } else {
      if (update.state === 'dead') {
        const dead: DeadRecord = { ...work, attempts, firstAttemptAt, deadAt: attempt.at };
        await this.wire.publish(this.names.dead(job.integration), encode(dead), { msgID: `${job.id}.dead${attempts}` });
      }
      // Only a job that retried before can be named by a hold: a first attempt skips the lookup.
      if (work.attempts > 0 || work.retryAt !== undefined) {
        const hold = await this.holds.get<HoldRecord>(holdSubject);
        if (hold?.value.messageId === job.messageId) await this.holds.delete(holdSubject);
      }
    }
    await this.setState(job.integration, work.source, job.event, work.createdAt, update.state, ({ retryAt: _r, ...entry }) => ({
      ...entry,
      attempts,
      updatedAt: attempt.at,
      ...(update.state === 'retry' ? { retryAt: update.retryAt } : {}),
      lastResult: attempt.result,
      history: [...entry.history, attempt].slice(-maxLoggedAttempts),
    }));
    this.claimed.delete(job.id);
    return message;
  }

  async replay(filter: { integration?: string; state?: JobState; messageIds?: string[] }): Promise<number> {
    const state = filter.state ?? 'dead';
    if (!terminalStates.includes(state)) return 0;
    const wanted = filter.messageIds === undefined ? undefined : new Set(filter.messageIds);
    const now = Date.now();
    let count = 0;
    if (state === 'dead') {
      // Dead letters are the DEAD stream's messages: replay republishes them to the work stream and removes them.
      for (const { value, seq } of await scanStream<DeadRecord>(this.nc, this.jsm, this.names.streams.dead, this.names.deadFilter(filter.integration))) {
        if (wanted !== undefined && !wanted.has(value.event.message_id)) continue;
        await this.requeue(value.integration, value.event, value.source, now, `dead${seq}`);
        await this.jsm.streams.deleteMessage(this.names.streams.dead, seq, false);
        count++;
      }
      return count;
    }
    for (const { value } of await this.log.scan<StoredEntry>(this.names.logFilter(filter.integration))) {
      if (value.state !== state || (wanted !== undefined && !wanted.has(value.messageId))) continue;
      if (value.source === undefined) continue;
      const stored = await this.events.get<EventRecord>(this.names.event(value.source, value.messageId));
      if (stored === undefined) continue;
      await this.requeue(value.integration, stored.value.event, stored.value.source, now, `${state}${value.updatedAt}`);
      count++;
    }
    return count;
  }

  /** Puts a final job back to pending with attempts reset; its history stays in the log. */
  private async requeue(integration: string, event: SignalEvent, source: string, now: number, dedupeTag: string): Promise<void> {
    const jobId = this.names.jobId(integration, source, event.message_id);
    const work: WorkRecord = { integration, source, event, createdAt: now, attempts: 0 };
    await this.wire.publish(this.names.work(integration), encode(work), { msgID: `${jobId}.replay.${dedupeTag}` });
    await this.setState(integration, source, event, now, 'pending', ({ retryAt: _r, ...entry }) => ({ ...entry, attempts: 0, updatedAt: now }));
  }

  // ---- queries ------------------------------------------------------------

  /**
   * Unfinished jobs are the work stream's messages (per integration subject); of those, the
   * consumer's ack-pending ones are in flight (including jobs naked back to wait for a hold or
   * retry time) and the tally's retry count is waiting to retry; the rest are pending.
   * Final states are counted by the tally.
   */
  async stats(): Promise<QueueStats[]> {
    const [work, tally] = await Promise.all([
      this.jsm.streams.info(this.names.streams.work, { subjects_filter: `${this.names.prefix}.work.>` }),
      this.jsm.streams.info(this.names.streams.tally, { subjects_filter: this.names.tallyFilter() }),
    ]);
    const counts = new Map<string, Partial<Record<JobState, number>>>();
    for (const [subject, n] of Object.entries(tally.state.subjects ?? {})) {
      const parsed = parseTallySubject(subject);
      if (parsed === undefined || n === 0) continue;
      counts.set(parsed.integration, { ...counts.get(parsed.integration), [parsed.state]: n });
    }
    const unfinished = new Map<string, number>();
    for (const [subject, n] of Object.entries(work.state.subjects ?? {})) {
      const integration = this.names.workIntegration(subject);
      if (integration === undefined || n === 0) continue;
      unfinished.set(integration, n);
      if (!counts.has(integration)) counts.set(integration, {});
    }
    const now = Date.now();
    return Promise.all(
      [...counts.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(async ([integration, tallied]): Promise<QueueStats> => {
          const { pending: _p, inflight: _i, retry: retried = 0, ...final } = tallied;
          const depth = unfinished.get(integration) ?? 0;
          if (depth === 0) return { integration, depth, oldestAgeMs: 0, byState: final };
          const [consumer, oldest] = await Promise.all([
            this.jsm.consumers.info(this.names.streams.work, this.names.consumer(integration)).catch(() => undefined),
            // The work stream holds only unfinished jobs, oldest first.
            this.wire.get(this.names.streams.work, { next_by_subj: this.names.work(integration), seq: 1 }).catch(() => null),
          ]);
          const retry = Math.min(retried, depth);
          const inflight = Math.min(consumer?.num_ack_pending ?? 0, depth - retry);
          const pending = depth - retry - inflight;
          const byState = { ...final, ...nonZero({ pending, inflight, retry }) };
          const createdAt = oldest === null ? now : oldest.json<WorkRecord>().createdAt;
          return { integration, depth, oldestAgeMs: Math.max(0, now - createdAt), byState };
        }),
    );
  }

  async deliveries(query: DeliveryQuery): Promise<DeliveryEntry[]> {
    const entries = (await this.log.scan<StoredEntry>(this.names.logFilter(query.integration))).map((r) => r.value);
    const matches = (state: JobState) =>
      query.state === undefined || state === query.state || (query.state === 'failed' && (state === 'rejected' || state === 'dead'));
    // Newest first by creation (stable while entries change state), id as tie-break.
    const order = (a: StoredEntry, b: StoredEntry) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
    let list = entries.filter((e) => matches(e.state)).sort(order);
    if (query.before !== undefined) {
      const cursor = entries.find((e) => e.id === query.before);
      if (cursor !== undefined) list = list.filter((e) => order(cursor, e) < 0);
    }
    return list.slice(0, query.limit ?? 100).map((e) => {
      const { history: _h, tallySeq: _t, source: _s, ...entry } = e;
      return entry;
    });
  }

  /**
   * Reads the whole events stream (and, to filter by delivery state, the log) per call, as
   * deliveries() reads the log: fine for a debugger page, not a hot path.
   */
  async findEvents(query: EventQuery): Promise<EventPage> {
    let stored: { value: EventRecord; seq: number }[];
    if (query.messageId !== undefined) {
      // Every source that used this id (ids dedupe per source).
      stored = (await scanStream<EventRecord>(this.nc, this.jsm, this.names.streams.events, this.names.eventAnySource(query.messageId), DeliverPolicy.LastPerSubject)).sort((a, b) => b.seq - a.seq);
    } else {
      stored = (await scanStream<EventRecord>(this.nc, this.jsm, this.names.streams.events, `${this.names.prefix}.event.>`, DeliverPolicy.LastPerSubject)).sort((a, b) => b.seq - a.seq);
    }
    const nameOf = (e: SignalEvent) => e.event ?? e.name;
    const wantedName = query.eventName?.toLowerCase();
    const cursor = query.before === undefined ? Infinity : Number(query.before);
    const candidates = stored.filter(({ value: { event }, seq }) =>
      seq < cursor &&
      (query.user === undefined || event.user_id === query.user || event.anonymous_id === query.user) &&
      (wantedName === undefined || nameOf(event)?.toLowerCase() === wantedName),
    );
    const entriesOf = async (record: EventRecord): Promise<DeliveryEntry[]> =>
      (await Promise.all(record.integrations.map((i) => this.log.get<StoredEntry>(this.names.log(i, record.source, record.event.message_id))))).flatMap((d) => {
        if (d === undefined) return [];
        const { history: _h, tallySeq: _t, source: _s, ...entry } = d.value;
        return [entry];
      });
    // A delivery filter reads the log once (as deliveries() does), not one lookup per event.
    let withDelivery: Set<string> | undefined;
    if (query.integration !== undefined || query.state !== undefined) {
      const inState = (state: JobState) =>
        query.state === undefined || state === query.state || (query.state === 'failed' && (state === 'rejected' || state === 'dead'));
      const log = await this.log.scan<StoredEntry>(this.names.logFilter(query.integration));
      withDelivery = new Set(log.filter((r) => inState(r.value.state)).map((r) => `${r.value.source}\u0000${r.value.messageId}`));
    }
    const limit = Math.max(1, Math.min(query.limit ?? 50, 500));
    const events: EventSummary[] = [];
    let last: number | undefined;
    for (const { value, seq } of candidates) {
      if (events.length === limit) break;
      if (withDelivery !== undefined && !withDelivery.has(`${value.source}\u0000${value.event.message_id}`)) continue;
      const deliveries = await entriesOf(value);
      const { event } = value;
      const name = nameOf(event);
      events.push({
        messageId: event.message_id,
        source: value.source,
        type: event.type,
        ...(name === undefined ? {} : { eventName: name }),
        ...(event.user_id === undefined ? {} : { userId: event.user_id }),
        ...(event.anonymous_id === undefined ? {} : { anonymousId: event.anonymous_id }),
        receivedAt: value.storedAt,
        deliveries,
      });
      last = seq;
    }
    const more = events.length === limit && candidates.some((c) => c.seq < last!);
    return more ? { events, next: String(last) } : { events };
  }

  async event(messageId: string, source?: string): Promise<EventDetail | undefined> {
    let record: EventRecord | undefined;
    if (source !== undefined) record = (await this.events.get<EventRecord>(this.names.event(source, messageId)))?.value;
    else {
      // The first source that stored this id.
      const first = await this.wire.get(this.names.streams.events, { next_by_subj: this.names.eventAnySource(messageId), seq: 1 }).catch(() => null);
      record = first === null ? undefined : first.json<EventRecord>();
    }
    if (record === undefined) return undefined;
    const { event, integrations } = record;
    const found = (await Promise.all(integrations.map((i) => this.log.get<StoredEntry>(this.names.log(i, record.source, messageId))))).flatMap((d) => (d === undefined ? [] : [d.value]));
    const exchanges = await this.exchanges.load(found.flatMap((d) => d.history.flatMap((a) => (a.exchangeId === undefined ? [] : [a.exchangeId]))));
    return { event, source: record.source, deliveries: found.map((d) => publicDetail(d, (id) => exchanges.get(id))) };
  }

  async nextDueAt(integration: string): Promise<number | undefined> {
    const retrying = [...(await this.retryingUsers(integration)).values()];
    return retrying.length === 0 ? undefined : Math.min(...retrying.map((h) => h.retryAt));
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    if (this.tuning.releaseOnClose) await Promise.allSettled([...this.claimed.values()].map((c) => c.message.nak(0)));
    this.claimed.clear();
    await this.nc.drain();
    this.wire.dispose();
  }

  /** Drops the connection without acking or releasing anything: what `kill -9` does (tests). */
  async abandon(): Promise<void> {
    this.claimed.clear();
    await this.nc.close();
    this.wire.dispose();
  }
}

function nonZero(counts: Partial<Record<JobState, number>>): Partial<Record<JobState, number>> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

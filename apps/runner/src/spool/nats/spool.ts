import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { userKeyOf, type SignalEvent } from '@signal/core';
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
  type Job,
  type JobState,
  type JobUpdate,
  type QueueStats,
  type Spool,
  type SpoolHealth,
} from '../types.js';
import { Claims, type ClaimTuning } from './claims.js';
import { NatsSpoolError } from './errors.js';
import { EventIndex, type IndexSettings } from './event-index.js';
import { ExchangeStore } from './exchanges.js';
import { Ingest } from './ingest.js';
import { LastValueStore } from './last-value.js';
import { Leases } from './leases.js';
import type { Names } from './names.js';
import { Outcomes } from './outcomes.js';
import { Queries } from './queries.js';
import { encode, type DeadRecord, type LogRecord, type RetryRecord } from './records.js';
import { scanJson } from './scan.js';
import { TraitsMemory } from './traits.js';
import { Wire } from './wire.js';

export interface NatsSpoolTuning extends IndexSettings, ClaimTuning {
  /** On close, give unfinished claims back at once (true) or leave them to expire like a crash (false). */
  releaseOnClose: boolean;
}

/**
 * The spool on NATS JetStream (layout: docs/scale-out.md). Every runner shares
 * the streams; the local state is what this instance has leased (chunks and
 * retry-queue jobs, needed to hand out and ack them), its dedupe window and its
 * traits cache, both kept current from the streams.
 */
export class NatsSpool implements Spool {
  readonly driver = 'nats' as const;
  /** Publishes and direct gets (see wire.ts for why not the JetStream client's). */
  private readonly wire: Wire;
  private readonly holds: LastValueStore;
  private readonly traits: TraitsMemory;
  private readonly exchanges: ExchangeStore;
  private readonly index: EventIndex;
  private readonly ingest: Ingest;
  private readonly leases = new Leases();
  private readonly outcomes: Outcomes;
  private readonly queries: Queries;
  /** The latest append's failure, until an append succeeds again (health()). */
  private writeFailure: { reason: string; since: number } | undefined;
  private readonly claims: Claims;
  /** While the connection is down, appends fail at once (503) instead of waiting out the request timeout. */
  private disconnected: string | undefined;

  static async create(nc: NatsConnection, names: Names, tuning: NatsSpoolTuning): Promise<NatsSpool> {
    const spool = new NatsSpool(nc, names, tuning, await jetstreamManager(nc));
    await Promise.all([spool.index.start(), spool.traits.start()]);
    return spool;
  }

  private constructor(
    private readonly nc: NatsConnection,
    private readonly names: Names,
    private readonly tuning: NatsSpoolTuning,
    private readonly jsm: JetStreamManager,
  ) {
    this.wire = new Wire(nc);
    this.holds = new LastValueStore(nc, this.wire, jsm, names.streams.hold);
    this.traits = new TraitsMemory(nc, this.wire, new LastValueStore(nc, this.wire, jsm, names.streams.traits), names);
    this.exchanges = new ExchangeStore(this.wire, names);
    this.index = new EventIndex(nc, jsm, this.wire, names, tuning);
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    this.ingest = new Ingest(this.wire, jsm, names, this.traits, this.index, maxPayload);
    this.outcomes = new Outcomes(this.wire, names, this.holds, this.exchanges, this.leases, Math.floor(maxPayload * 0.7));
    this.queries = new Queries(nc, jsm, this.wire, names, this.leases, this.index, this.exchanges);
    this.claims = new Claims(nc, jsm, this.wire, names, tuning, this.leases, this.holds, this.index, this.outcomes, this.queries);
    void this.watchConnection();
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.disconnected = 'the connection to NATS is lost (reconnecting)';
      else if (status.type === 'reconnect') this.disconnected = undefined;
    }
  }

  // ---- ingest -------------------------------------------------------------

  async append(items: AppendItem[]): Promise<AppendResult> {
    try {
      if (this.disconnected !== undefined) throw new NatsSpoolError(`JetStream is unavailable: ${this.disconnected}`);
      const result = await this.ingest.append(items);
      this.writeFailure = undefined;
      return result;
    } catch (error) {
      this.writeFailure = { reason: error instanceof Error ? error.message : String(error), since: Date.now() };
      throw error;
    }
  }

  // ---- delivery -----------------------------------------------------------

  claim(integration: string, options: ClaimOptions): Promise<Job[]> {
    return this.claims.claim(integration, options);
  }

  renew(jobs: readonly Job[]): Promise<void> {
    return this.claims.renew(jobs);
  }

  async complete(updates: JobUpdate[]): Promise<void> {
    await this.outcomes.complete(updates);
  }

  backlog(): Promise<number> {
    return this.queries.backlog();
  }

  health(): SpoolHealth {
    if (this.nc.isClosed()) return { writable: false, reason: 'the NATS connection is closed' };
    if (this.disconnected !== undefined) return { writable: false, reason: this.disconnected, ...(this.writeFailure === undefined ? {} : { since: this.writeFailure.since }) };
    return this.writeFailure === undefined ? { writable: true } : { writable: false, ...this.writeFailure };
  }

  /** One small message on the EXCHANGE stream (evidence only, so a probe there costs nothing else). */
  async probeWrite(): Promise<void> {
    if (this.disconnected !== undefined) throw new NatsSpoolError(`JetStream is unavailable: ${this.disconnected}`);
    await this.wire.publish(this.names.exchange('probe'), '{}');
    this.writeFailure = undefined;
  }

  async replay(filter: { integration?: string; state?: JobState; messageIds?: string[] }): Promise<number> {
    const state = filter.state ?? 'dead';
    if (!terminalStates.includes(state)) return 0;
    const wanted = filter.messageIds === undefined ? undefined : new Set(filter.messageIds);
    const now = Date.now();
    let count = 0;
    if (state === 'dead') {
      // Dead letters are DEAD's messages: a replay puts them on the retry queue and removes them.
      for (const { value, seq } of await scanJson<DeadRecord>(this.nc, this.jsm, this.names.streams.dead, { filter: this.names.deadFilter(filter.integration) })) {
        if (wanted !== undefined && !wanted.has(value.event.message_id)) continue;
        const { deadAt: _d, retryAt: _r, batch: _b, firstAttemptAt: _f, ...job } = value;
        await this.requeue({ ...job, attempts: 0 }, `rd${seq}`, now);
        await this.jsm.streams.deleteMessage(this.names.streams.dead, seq, false);
        count++;
      }
      return count;
    }
    // Other final states: the log says which jobs; the events come from EVENTS.
    const moved = new Map<string, number>();
    for (const entry of (await this.queries.logEntries(filter.integration)).values()) {
      if (entry.st !== state || (wanted !== undefined && !wanted.has(entry.m))) continue;
      const found = await this.index.find(entry.m, entry.s);
      if (found === undefined) continue;
      const origin = { c: found.record.c, o: entry.o };
      await this.requeue({ integration: entry.integration, source: entry.s, event: found.item.e, createdAt: entry.ct, attempts: 0, ...origin }, `rp${entry.at}`, now);
      moved.set(entry.integration, (moved.get(entry.integration) ?? 0) + 1);
      count++;
    }
    // The tally counts final states; replayed jobs leave theirs.
    await Promise.all([...moved].map(([integration, n]) => this.wire.publish(this.names.tally(integration, state, n, true), '').catch(() => undefined)));
    return count;
  }

  /** Puts a job back on the retry queue as pending, attempts reset; its history stays in the log. */
  private async requeue(record: RetryRecord, tag: string, now: number): Promise<void> {
    const id = this.names.jobId(record.integration, record.source, record.event.message_id);
    await this.wire.publish(this.names.retry(record.integration, 'p'), encode(record), { msgID: `${id}.${tag}` });
    const e: SignalEvent = record.event;
    const name = e.event ?? e.name;
    const log: LogRecord = { id, m: e.message_id, s: record.source, ty: e.type, ...(name === undefined ? {} : { nm: name }), u: userKeyOf(e), st: 'pending', n: 0, at: now, ct: record.createdAt, o: record.o };
    await this.wire.publish(this.names.log(record.integration, record.c), encode({ records: [log] }));
  }

  // ---- queries ------------------------------------------------------------

  stats(): Promise<QueueStats[]> {
    return this.queries.stats();
  }

  deliveries(query: DeliveryQuery): Promise<DeliveryEntry[]> {
    return this.queries.deliveries(query);
  }

  event(messageId: string, source?: string): Promise<EventDetail | undefined> {
    return this.queries.event(messageId, source);
  }

  findEvents(query: EventQuery): Promise<EventPage> {
    return this.queries.findEvents(query);
  }

  async nextDueAt(integration: string): Promise<number | undefined> {
    const retrying = [...(await this.claims.retryingUsers(integration)).values()];
    return retrying.length === 0 ? undefined : Math.min(...retrying.map((h) => h.retryAt));
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    this.ingest.dispose();
    await this.claims.close(this.tuning.releaseOnClose);
    await Promise.allSettled([this.index.stop(), this.traits.stop()]);
    await this.nc.drain();
    this.wire.dispose();
  }

  /** Drops the connection without acking or releasing anything: what `kill -9` does (tests). */
  async abandon(): Promise<void> {
    await this.claims.close(false);
    await Promise.allSettled([this.index.stop(), this.traits.stop()]);
    await this.nc.close();
    this.wire.dispose();
  }
}

import { AckPolicy, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { userKeyOf } from '@signal/core';
import type { ClaimOptions, Job, JobUpdate } from '../types.js';
import { NatsSpoolError } from './errors.js';
import type { EventIndex } from './event-index.js';
import { idHash } from './id-window.js';
import type { LastValueStore } from './last-value.js';
import { settled, type ChunkJob, type HeldChunk, type Leases } from './leases.js';
import type { Names } from './names.js';
import type { Outcomes } from './outcomes.js';
import { ackAll, pullNow, type LeasedMessage } from './pull.js';
import type { Queries } from './queries.js';
import { decode, type ChunkRecord, type HoldRecord, type LogRecord, type RetryRecord } from './records.js';
import type { Wire } from './wire.js';

export interface ClaimTuning {
  /** How long a job held back behind its user's retrying job waits before it is looked at again. */
  holdRecheckMs: number;
  /** Upper bound on leased-but-unacked messages per consumer (chunks; retry-queue jobs, including those waiting out a nak delay). */
  maxAckPending: number;
}

/** Chunks pulled at most per pull request of a claim. */
const maxChunksPerPull = 64;

/**
 * Claims: leases chunks and retry-queue jobs from the integration's consumers,
 * and hands their jobs out to the engine in order, a user at a time (see
 * docs/scale-out.md, "Delivery"). Keeps the leases of chunks whose jobs are
 * still queued in this runner.
 */
export class Claims {
  /** Integration → lease (ms) its consumers were last set up with. */
  private readonly consumers = new Map<string, number>();
  /** Integration → jobs per chunk seen lately (how many chunks a claim pulls). */
  private readonly chunkSize = new Map<string, number>();
  /** Integration → when it was last claimed from. */
  private readonly lastClaim = new Map<string, number>();
  private renewTimer: NodeJS.Timeout | undefined;
  private renewEveryMs = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly wire: Wire,
    private readonly names: Names,
    private readonly tuning: ClaimTuning,
    private readonly leases: Leases,
    private readonly holds: LastValueStore,
    private readonly index: EventIndex,
    private readonly outcomes: Outcomes,
    private readonly queries: Queries,
  ) {}

  async ensureConsumers(integration: string, leaseMs: number): Promise<void> {
    if (this.consumers.get(integration) === leaseMs) return;
    await Promise.all([
      this.ensureConsumer(this.names.streams.work, this.names.workConsumer(integration), this.names.workFilter(integration), leaseMs),
      this.ensureConsumer(this.names.streams.retry, this.names.retryConsumer(integration), this.names.retryFilter(integration), leaseMs),
    ]);
    this.consumers.set(integration, leaseMs);
    const every = Math.max(50, Math.floor(Math.min(...this.consumers.values()) / 3));
    if (every !== this.renewEveryMs) {
      clearInterval(this.renewTimer);
      this.renewEveryMs = every;
      this.renewTimer = setInterval(() => this.renewQueued(), every);
      this.renewTimer.unref();
    }
  }

  private async ensureConsumer(stream: string, durable: string, filter: string, leaseMs: number): Promise<void> {
    const config = {
      durable_name: durable,
      filter_subject: filter,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(leaseMs),
      max_deliver: -1,
      max_ack_pending: this.tuning.maxAckPending,
    };
    try {
      const info = await this.jsm.consumers.info(stream, durable).catch(() => undefined);
      if (info === undefined) await this.jsm.consumers.add(stream, config);
      else if (info.config.ack_wait !== config.ack_wait) await this.jsm.consumers.update(stream, durable, { ack_wait: config.ack_wait });
    } catch (error) {
      // Two runners creating the same durable at once: the loser finds it there.
      if ((await this.jsm.consumers.info(stream, durable).catch(() => undefined)) === undefined) {
        throw new NatsSpoolError(`consumer ${durable} cannot be set up`, error);
      }
    }
  }

  /**
   * Chunks with jobs not yet handed out are leased by no request of the engine: the spool keeps them,
   * while their integration is being claimed. One nobody claimed from for a while (its delivery
   * stopped or paused) goes back, for any runner to take.
   */
  private renewQueued(): void {
    const now = Date.now();
    for (const chunk of this.leases.allChunks()) {
      if (!chunk.jobs.some((j) => j.state === 'queued')) continue;
      const idle = now - (this.lastClaim.get(chunk.integration) ?? now);
      if (idle > Math.max(60_000, 2 * (this.consumers.get(chunk.integration) ?? 0)) && !chunk.jobs.some((j) => j.state === 'out')) {
        this.leases.drop(chunk);
        void chunk.message.nak(0).catch(() => undefined);
      } else chunk.message.working();
    }
  }

  async claim(integration: string, options: ClaimOptions): Promise<Job[]> {
    await this.ensureConsumers(integration, options.leaseMs);
    this.lastClaim.set(integration, Date.now());
    const { limit, now } = options;
    const [holds, retries] = await Promise.all([this.retryingUsers(integration), pullNow(this.nc, this.names.streams.retry, this.names.retryConsumer(integration), limit), this.pullChunks(integration, limit)]);
    const busy = this.leases.busyUsers(integration);
    const waiting = new Set<string>();
    const jobs: Job[] = [];
    const putBack: Promise<void>[] = [];

    // The retry queue first: a user's retried job is older than the user's jobs still in chunks.
    for (const message of retries) {
      const record = decode<RetryRecord>(message.data);
      const messageId = record.event.message_id;
      const userKey = userKeyOf(record.event);
      const id = this.names.jobId(integration, record.source, messageId);
      const hold = holds.get(userKey);
      let delay: number | undefined;
      if (hold !== undefined && hold.messageId !== messageId) delay = Math.max(hold.retryAt - now, this.tuning.holdRecheckMs);
      else if (record.retryAt !== undefined && record.retryAt > now) delay = record.retryAt - now;
      else if (busy.has(userKey) || waiting.has(userKey) || this.leases.out.has(id) || jobs.length >= limit) delay = 0;
      if (delay !== undefined) {
        waiting.add(userKey);
        putBack.push(message.nak(delay));
        continue;
      }
      this.leases.out.set(id, { kind: 'retry', message, record });
      jobs.push({
        id,
        integration,
        messageId,
        userKey,
        event: record.event,
        attempts: record.attempts,
        ...(record.firstAttemptAt !== undefined ? { firstAttemptAt: record.firstAttemptAt } : {}),
        ...(record.batch !== undefined ? { batch: record.batch } : {}),
      });
    }

    // Then the jobs of leased chunks, in stream order.
    const behindHolds: JobUpdate[] = [];
    for (const chunk of this.leases.chunksOf(integration)) {
      for (const job of chunk.jobs) {
        if (jobs.length >= limit) break;
        if (job.state !== 'queued') continue;
        const hold = holds.get(job.userKey);
        if (hold !== undefined && hold.messageId !== job.event.message_id) {
          // Behind the user's retrying job: it leaves the chunk for the retry queue, due when the hold may have cleared.
          waiting.add(job.userKey);
          behindHolds.push({ job: this.handOut(chunk, job), state: 'release', retryAt: Math.max(hold.retryAt, now + this.tuning.holdRecheckMs) });
          continue;
        }
        if (busy.has(job.userKey) || waiting.has(job.userKey) || this.leases.out.has(job.id)) {
          waiting.add(job.userKey);
          continue;
        }
        jobs.push(this.handOut(chunk, job));
      }
    }
    await Promise.all(putBack);
    if (behindHolds.length > 0) await this.outcomes.complete(behindHolds, { chunkNaks: false });
    return jobs;
  }

  private handOut(chunk: HeldChunk, job: ChunkJob): Job {
    job.state = 'out';
    this.leases.out.set(job.id, { kind: 'chunk', chunk, job });
    return { id: job.id, integration: chunk.integration, messageId: job.event.message_id, userKey: job.userKey, event: job.event, attempts: 0 };
  }

  /** Leases chunks until this runner holds `limit` queued jobs of the integration (or WORK has no more). */
  private async pullChunks(integration: string, limit: number): Promise<void> {
    for (let round = 0; round < 6; round++) {
      const queued = this.leases.chunksOf(integration).reduce((n, c) => n + c.jobs.filter((j) => j.state === 'queued').length, 0);
      const need = limit - queued;
      if (need <= 0) return;
      // Sized from the chunks seen lately (one first, to learn): at most about one chunk more than needed stays queued here.
      const size = this.chunkSize.get(integration);
      const want = size === undefined ? 1 : Math.min(maxChunksPerPull, Math.max(1, Math.floor(need / size)));
      const messages = await pullNow(this.nc, this.names.streams.work, this.names.workConsumer(integration), want);
      await Promise.all(messages.map((m) => this.adopt(integration, m)));
      if (messages.length < want) return;
    }
  }

  /** Takes a leased chunk into this runner's hands (again, if its lease had lapsed). */
  private async adopt(integration: string, message: LeasedMessage): Promise<void> {
    const held = this.leases.held(integration, message.seq);
    if (held !== undefined) {
      // Ours already, and its lease lapsed: no request holds its jobs handed out (the engine renews what it holds),
      // so they are queued again with the ones a failed write lost. What we know is newer than the log.
      held.message = message;
      for (const job of held.jobs) {
        if (job.state !== 'lost' && job.state !== 'out') continue;
        if (job.state === 'out') this.leases.out.delete(job.id);
        job.state = 'queued';
      }
      return;
    }
    const record = decode<ChunkRecord>(message.data);
    const average = this.chunkSize.get(integration) ?? record.jobs.length;
    this.chunkSize.set(integration, Math.max(1, Math.round(average * 0.8 + record.jobs.length * 0.2)));
    // Delivered before (a runner died holding it, or gave it back): the log says which jobs are recorded.
    const recorded = message.deliveries > 1 ? new Set((await this.queries.records(integration, record.c)).map((r: LogRecord) => r.id)) : new Set<string>();
    // A commit that holds ids an earlier commit stored too (two runners raced): those jobs are not sent twice.
    const commitSeq = this.index.window.racedCommit(record.c);
    const jobs = record.jobs.map((j, index): ChunkJob => {
      const id = this.names.jobId(integration, j.s, j.e.message_id);
      const first = commitSeq === undefined ? undefined : this.index.window.first(idHash(j.s, j.e.message_id));
      const done = recorded.has(id) || (first !== undefined && first < commitSeq!);
      return { id, index, source: j.s, event: j.e, userKey: userKeyOf(j.e), state: done ? 'done' : 'queued' };
    });
    const chunk: HeldChunk = { seq: message.seq, integration, commit: record.c, createdAt: record.t, message, jobs };
    if (settled(chunk) === 'done') await ackAll([message]);
    else this.leases.add(chunk);
  }

  async renew(jobs: readonly Job[]): Promise<void> {
    // JetStream's "working" ack restarts the message's ack_wait (the consumer's lease) for another full period.
    const messages = new Set<LeasedMessage>();
    for (const job of jobs) {
      const h = this.leases.out.get(job.id);
      if (h !== undefined) messages.add(h.kind === 'chunk' ? h.chunk.message : h.message);
    }
    for (const m of messages) m.working();
  }

  /** Users of an integration with a job waiting to retry. One request when there are none (the usual case). */
  async retryingUsers(integration: string): Promise<Map<string, HoldRecord>> {
    const out = new Map<string, HoldRecord>();
    const first = await this.wire.get(this.names.streams.hold, { next_by_subj: this.names.holdFilter(integration), seq: 1 }).catch(() => null);
    if (first === null) return out;
    for (const { value } of await this.holds.scan<HoldRecord>(this.names.holdFilter(integration))) out.set(value.userKey, value);
    return out;
  }

  /** Gives back everything held (a normal stop), or, with `release` false, leaves it to the leases (like a crash). */
  async close(release: boolean): Promise<void> {
    clearInterval(this.renewTimer);
    if (release) {
      const naks = [...this.leases.allChunks().map((c) => c.message.nak(0)), ...[...this.leases.out.values()].flatMap((h) => (h.kind === 'retry' ? [h.message.nak(0)] : []))];
      await Promise.allSettled(naks);
    }
    this.leases.clear();
  }
}

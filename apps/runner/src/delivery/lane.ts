import type { DeliveryResult, Exchange, HttpClient, Integration, Logger, Outgoing, RetryPolicy } from '@signal/core';
import type { Job, JobUpdate, Spool } from '../spool/types.js';
import { jobUpdateFor } from './job-outcome.js';
import { RequestSlots } from './request-slots.js';
import type { AttemptEvent } from './types.js';
import { createWaker } from './waker.js';

export interface LaneOptions {
  integration: Integration;
  spool: Spool;
  http: HttpClient;
  policy: RetryPolicy;
  concurrency: number;
  /** Most records claimed and not yet recorded or given back (at least one batch). */
  maxRecordsInFlight: number;
  lingerMs: number;
  pollIntervalMs: number;
  leaseMs: number;
  authPauseMs: number;
  logger: Logger;
  now: () => number;
  emit: (event: AttemptEvent) => void;
}

/**
 * Most jobs one claim leases: enough to fill several request slots, bounded because a claim
 * blocks the event loop (and so the collector) while it runs: ~100 ms at 1M queued.
 */
const maxPage = 4_000;

/**
 * One integration's delivery loop: claim due jobs, prepare, batch (with linger),
 * send under the concurrency limit, record per-record outcomes. Events are never
 * lost: on any failure a job is retried, given back, or left leased to come back.
 */
export class IntegrationLane {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly waker = createWaker();
  private readonly slots: RequestSlots;
  private readonly requests = new Set<Promise<void>>();
  private pause: { message: string; until: number } | undefined;
  private readonly id: string;
  private readonly batchItems: number;
  private readonly budget: number;
  /** Jobs claimed and not yet recorded or given back: what the lane holds in memory. */
  private held = 0;

  constructor(private readonly o: LaneOptions) {
    this.id = o.integration.id;
    this.slots = new RequestSlots(o.concurrency);
    this.batchItems = Math.max(1, o.integration.limits.maxBatchItems);
    this.budget = Math.max(this.batchItems, Math.floor(o.maxRecordsInFlight));
  }

  /** Whole batches that still fit in the record budget, as a record count. */
  private room(): number {
    return Math.floor((this.budget - this.held) / this.batchItems) * this.batchItems;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waker.wake();
    await this.loop;
    while (this.requests.size > 0) await Promise.allSettled([...this.requests]);
  }

  wake(): void {
    this.waker.wake();
  }

  pausedMessage(): string | undefined {
    return this.pause?.message;
  }

  resume(): void {
    if (this.pause === undefined) return;
    this.pause = undefined;
    this.o.logger.info({ integration: this.id }, `integration ${this.id} resumed`);
    this.waker.wake();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (this.pause !== undefined) {
          const wait = this.pause.until - this.o.now();
          if (wait > 0) {
            await this.waker.sleep(Math.min(wait, this.o.pollIntervalMs));
            continue;
          }
          if (this.room() === 0) {
            await this.slots.changed();
            continue;
          }
          if (!(await this.cycle(true))) await this.idle();
          continue;
        }
        // Full budget: every held job is in a request, so a request's end frees room and a slot.
        if (this.slots.free === 0 || this.room() === 0) {
          await this.slots.changed();
          continue;
        }
        if (!(await this.cycle(false))) await this.idle();
      } catch (error) {
        this.o.logger.error({ integration: this.id, err: this.explain(error) }, `delivery loop of ${this.id} failed; retrying after the poll interval`);
        await this.waker.sleep(this.o.pollIntervalMs);
      }
    }
  }

  private async idle(): Promise<void> {
    const next = await this.o.spool.nextDueAt(this.id);
    const now = this.o.now();
    // Due but not claimable means blocked behind a request in flight: its completion wakes us.
    const wait = next === undefined || next <= now ? this.o.pollIntervalMs : Math.min(next - now, this.o.pollIntervalMs);
    await this.waker.sleep(wait);
  }

  private claim(limit: number): Promise<Job[]> {
    return this.o.spool.claim(this.id, { limit, now: this.o.now(), leaseMs: this.o.leaseMs });
  }

  /**
   * One claim → prepare → batch → dispatch round. Returns false when nothing was due.
   * Claims only what fits in the free slots and the record budget, so the lane never holds
   * more than `budget` claimed jobs (with their events, records and request bodies).
   */
  private async cycle(probe: boolean): Promise<boolean> {
    const batchItems = this.batchItems;
    const limit = probe ? batchItems : Math.min(maxPage, batchItems * Math.max(1, this.slots.free), this.room());
    const jobs = await this.claim(limit);
    if (jobs.length === 0) return false;
    this.held += jobs.length;
    /** Jobs of this page still owned by this round (not yet recorded, given back or handed to a request). */
    let owned = jobs.length;
    const settle = (n: number): void => {
      this.held -= n;
      owned -= n;
    };
    try {
      if (!probe && this.o.lingerMs > 0 && jobs.length < batchItems) {
        const before = jobs.length;
        await this.linger(jobs, batchItems);
        this.held += jobs.length - before;
        owned += jobs.length - before;
      }

      const { outgoing, finished } = this.prepare(jobs);
      await this.record(finished.map((f) => f.update), finished);
      settle(finished.length);

      // Each batch carries its own jobs, so a request keeps only those alive, not the whole page.
      const batches = this.o.integration.chunk(outgoing).map((chunk) => chunk.map((o) => ({ o, job: jobs[o.index]! })));
      jobs.length = 0;
      /** Users with a record waiting to retry: their later records in this page wait too (per-user order). */
      const heldUsers = new Set<string>();
      let probed = false;
      for (const [i, batch] of batches.entries()) {
        batches[i] = [];
        // A probe sends one batch; a pause (possibly hit while this batch waited for a slot) gives the rest back.
        if ((probe && i > 0) || (!probe && this.pause !== undefined)) {
          await this.release(batch.map((b) => b.job));
          settle(batch.length);
          continue;
        }
        const users = new Set(batch.map((b) => b.o.userKey));
        await this.slots.acquire(users);
        if (!probe && this.pause !== undefined) {
          this.slots.release(users);
          await this.release(batch.map((b) => b.job));
          settle(batch.length);
          continue;
        }
        const held = batch.filter((b) => heldUsers.has(b.o.userKey));
        const send = held.length === 0 ? batch : batch.filter((b) => !heldUsers.has(b.o.userKey));
        if (held.length > 0) {
          await this.release(held.map((b) => b.job));
          settle(held.length);
        }
        if (send.length === 0) {
          this.slots.release(users);
          continue;
        }
        owned -= send.length;
        const request = this.dispatch(send, users, heldUsers);
        if (probe) {
          await request;
          probed = true;
        }
      }
      if (probed && this.pause !== undefined && this.pause.until <= this.o.now()) {
        // The probe reached the vendor without an auth failure (else pause() moved `until` on): deliver again.
        this.resume();
      }
      return true;
    } finally {
      // Whatever this round did not record, give back or send is left leased (it comes back): not held here.
      this.held -= owned;
    }
  }

  /** Sends one batch in a slot already taken; its jobs stop counting against the budget once recorded. */
  private dispatch(batch: { o: Outgoing; job: Job }[], users: ReadonlySet<string>, heldUsers: Set<string>): Promise<void> {
    const count = batch.length;
    const request = this.send(batch, heldUsers).finally(() => {
      this.held -= count;
      this.slots.release(users);
      this.requests.delete(request);
      this.waker.wake();
    });
    this.requests.add(request);
    return request;
  }

  /** A partial batch waits (at most lingerMs) for more events to fill it. */
  private async linger(jobs: Job[], batchItems: number): Promise<void> {
    const deadline = performance.now() + this.o.lingerMs;
    while (this.running && jobs.length < batchItems) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      await this.waker.sleep(left);
      jobs.push(...(await this.claim(batchItems - jobs.length)));
    }
  }

  private prepare(jobs: Job[]): { outgoing: Outgoing[]; finished: { job: Job; update: JobUpdate; result: DeliveryResult }[] } {
    const outgoing: Outgoing[] = [];
    const finished: { job: Job; update: JobUpdate; result: DeliveryResult }[] = [];
    const at = this.o.now();
    jobs.forEach((job, index) => {
      let result: DeliveryResult;
      try {
        const prepared = this.o.integration.prepare(job.event, index);
        if (prepared.outcome === 'send') {
          outgoing.push(prepared.outgoing);
          return;
        }
        result = prepared.result;
      } catch (error) {
        // A mapping bug must not lose the event: retry it (dead-lettered, replayable, if it persists).
        this.o.logger.error({ integration: this.id, messageId: job.messageId, err: this.explain(error) }, `preparing an event for ${this.id} failed`);
        result = { status: 'retry', reason: `preparing the event failed: ${this.explain(error)}` };
      }
      if (result.status === 'auth') {
        this.pauseFor(result.message);
        finished.push({ job, update: { job, state: 'release' }, result });
        return;
      }
      finished.push({ job, update: jobUpdateFor(job, result, { at, policy: this.o.policy }), result });
    });
    return { outgoing, finished };
  }

  private async send(items: { o: Outgoing; job: Job }[], heldUsers: Set<string>): Promise<void> {
    let results: DeliveryResult[];
    let exchange: Exchange | undefined;
    const started = performance.now();
    const batch = items.map((b) => b.o);
    try {
      const outcome = await this.o.integration.send(batch, this.o.http, this.o.logger, this.o.now);
      results = outcome.results;
      exchange = outcome.exchange;
    } catch (error) {
      // ContractError (wrong result count) or a plugin bug: retry, so the events are never lost.
      this.o.logger.error({ integration: this.id, records: batch.length, err: this.explain(error) }, `sending a batch to ${this.id} failed unexpectedly; the events will be retried`);
      const reason = this.explain(error);
      results = batch.map(() => ({ status: 'retry', reason }));
    }
    const durationMs = exchange?.durationMs ?? performance.now() - started;
    const at = this.o.now();
    const finished = items.map(({ o, job }, j) => {
      const result = results[j]!;
      if (result.status === 'auth') {
        this.pauseFor(result.message);
        return { job, result, update: { job, state: 'release' } as JobUpdate };
      }
      const update = jobUpdateFor(job, result, { at, policy: this.o.policy, payload: this.o.integration.redactRecord(o.record), ...(exchange === undefined ? {} : { exchange }) });
      if (update.state === 'retry') heldUsers.add(o.userKey);
      return { job, result, update };
    });
    await this.record(
      finished.map((f) => f.update),
      finished,
      exchange,
      durationMs,
    );
  }

  /** Writes one batch's outcomes in one transaction, then tells listeners. A failed write leaves the jobs leased: they come back. */
  private async record(updates: JobUpdate[], finished: { job: Job; result: DeliveryResult; update: JobUpdate }[], exchange?: Exchange, durationMs?: number): Promise<void> {
    if (updates.length === 0) return;
    try {
      await this.o.spool.complete(updates);
    } catch (error) {
      this.o.logger.error({ integration: this.id, jobs: updates.length, err: this.explain(error) }, `recording delivery results for ${this.id} failed; the jobs come back when their lease expires`);
      return;
    }
    for (const { job, result, update } of finished) {
      const counted = update.state !== 'release';
      this.o.emit({
        integration: this.id,
        messageId: job.messageId,
        state: update.state === 'release' ? 'paused' : update.state,
        result,
        attempts: job.attempts + (counted ? 1 : 0),
        ...(exchange === undefined || !counted ? {} : { exchange }),
        ...(durationMs === undefined ? {} : { durationMs }),
      });
    }
  }

  private async release(jobs: Job[]): Promise<void> {
    if (jobs.length === 0) return;
    try {
      await this.o.spool.complete(jobs.map((job) => ({ job, state: 'release' })));
    } catch (error) {
      this.o.logger.error({ integration: this.id, jobs: jobs.length, err: this.explain(error) }, `giving jobs back failed; they come back when their lease expires`);
    }
  }

  /** An error as text fit for logs and the delivery log: a plugin's message may quote a URL with its key. */
  private explain(error: unknown): string {
    return this.o.integration.redact(describe(error));
  }

  private pauseFor(message: string): void {
    const now = this.o.now();
    // Log once per pause, and once per failed probe: not once per record of a batch.
    const announce = this.pause === undefined || this.pause.until <= now;
    this.pause = { message, until: now + this.o.authPauseMs };
    if (announce) {
      this.o.logger.error(
        { integration: this.id, message },
        `integration ${this.id} is paused: the vendor refused its credentials (${message}). Fix the settings and resume it; otherwise one probe batch is sent in ${Math.round(this.o.authPauseMs / 1000)} s`,
      );
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

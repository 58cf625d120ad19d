import type { DeliveryResult, Exchange, HttpClient, Integration, Logger, Outgoing, RetryPolicy } from '@signal/core';
import type { Job, JobUpdate, Spool } from '../spool/types.js';
import { jobUpdateFor } from './job-outcome.js';
import { RequestSlots } from './request-slots.js';
import { GroupAssembler, groupIdOf, groupTag } from './retry-groups.js';
import { sendBatch } from './send-batch.js';
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
 * Small batches (an unbatched webhook: one record per request) claim ahead of the free slots,
 * so a freed slot is refilled from jobs in hand instead of waiting for a claim's round trip to
 * the spool (which may wait behind an append's fsync). Held jobs' leases are renewed.
 */
const claimAheadRecords = 256;

/** How long the members of an idempotent batch wait for each other before it is sent as it is. */
const groupWaitMs = 5_000;

/** A prepared record and its job: what a request carries. */
type Item = { o: Outgoing; job: Job };

/** A job's outcome, ready to record. */
interface Finished {
  job: Job;
  update: JobUpdate;
  result: DeliveryResult;
  exchange?: Exchange;
  durationMs?: number;
}

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
  /**
   * Jobs claimed and not yet recorded or given back, by id: what the lane holds in memory (the
   * record budget counts them), and whose leases it renews while they wait for a slot or a
   * vendor's answer, so a slow vendor never makes another claim hand them out again
   * (duplicates come only from a crash or a lost response).
   */
  private readonly holding = new Map<string, Job>();
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  /** Idempotent batches being put back together for their retry (only for plugins that declare them). */
  private readonly groups: GroupAssembler<Item> | undefined;

  constructor(private readonly o: LaneOptions) {
    this.id = o.integration.id;
    this.slots = new RequestSlots(o.concurrency);
    this.batchItems = Math.max(1, o.integration.limits.maxBatchItems);
    this.budget = Math.max(this.batchItems, Math.floor(o.maxRecordsInFlight));
    if (o.integration.destination.capabilities.idempotentBatches === true) this.groups = new GroupAssembler(groupWaitMs);
  }

  /** Whole batches that still fit in the record budget, as a record count. */
  private room(): number {
    // Members of an idempotent batch waiting for their batch-mates do not count: the claim that brings the rest must fit.
    const waiting = this.groups?.size ?? 0;
    return Math.floor((this.budget - (this.holding.size - waiting)) / this.batchItems) * this.batchItems;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // A third of the lease: two renewals may fail (or the event loop stall) before a lease lapses.
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.o.leaseMs / 3)));
    this.renewTimer.unref();
    this.loop = this.run();
  }

  /** Stops claiming; jobs in hand but not yet sent are given back; resolves once requests in flight are recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.waker.wake();
    this.slots.close();
    await this.loop;
    if (this.groups !== undefined) await this.release(this.groups.drain().map((i) => i.job));
    while (this.requests.size > 0) await Promise.allSettled([...this.requests]);
    clearInterval(this.renewTimer);
  }

  private async renewLeases(): Promise<void> {
    if (this.holding.size === 0) return;
    try {
      await this.o.spool.renew([...this.holding.values()], { now: this.o.now(), leaseMs: this.o.leaseMs });
    } catch (error) {
      this.o.logger.warn({ integration: this.id, jobs: this.holding.size, err: this.explain(error) }, `renewing the leases of ${this.id}'s jobs in hand failed; trying again`);
    }
  }

  /** The lane holds these jobs from now on (their leases are renewed). */
  private hold(jobs: readonly Job[]): void {
    for (const job of jobs) this.holding.set(job.id, job);
  }

  /** These jobs were recorded, given back or abandoned to their lease: no longer in hand. */
  private letGo(jobs: readonly Job[]): void {
    for (const job of jobs) this.holding.delete(job.id);
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
    const limit = probe ? batchItems : Math.min(maxPage, Math.max(batchItems * Math.max(1, this.slots.free), claimAheadRecords), this.room());
    const jobs = await this.claim(limit);
    /** Idempotent batches whose members did not all come back in time: sent as they are. */
    const overdue = this.groups?.expired() ?? [];
    if (jobs.length === 0 && overdue.length === 0) return false;
    this.hold(jobs);
    /** Jobs of this page still owned by this round (not yet recorded, given back or handed to a request). */
    const owned = new Set([...jobs, ...overdue.flat().map((i) => i.job)]);
    const settle = (settled: readonly Job[]): void => {
      for (const job of settled) owned.delete(job);
    };
    try {
      if (!probe && this.o.lingerMs > 0 && jobs.length < batchItems) {
        const before = jobs.length;
        await this.linger(jobs, batchItems);
        const more = jobs.slice(before);
        this.hold(more);
        for (const job of more) owned.add(job);
      }

      const { outgoing, finished } = this.prepare(jobs);
      await this.record(finished);
      settle(finished.map((f) => f.job));

      // Each batch carries its own jobs, so a request keeps only those alive, not the whole page.
      const items = outgoing.map((o) => ({ o, job: jobs[o.index]! }));
      // Idempotent batches go out as they were first sent; members still missing wait in the assembler (held, renewed).
      const { ready, loose } = this.groups?.add(items) ?? { ready: [], loose: items };
      if (this.groups !== undefined) settle(items.filter((i) => i.job.batch !== undefined && !ready.some((g) => g.includes(i))).map((i) => i.job));
      const batches: Item[][] = [...ready, ...overdue, ...this.o.integration.chunk(loose.map((i) => i.o)).map((chunk) => chunk.map((o) => ({ o, job: jobs[o.index]! })))];
      jobs.length = 0;
      /** Users with a record waiting to retry: their later records in this page wait too (per-user order). */
      const heldUsers = new Set<string>();
      let probed = false;
      for (const [i, batch] of batches.entries()) {
        batches[i] = [];
        // A probe sends one batch; a pause (possibly hit while this batch waited for a slot) or a stop gives the rest back.
        if ((probe && i > 0) || (!probe && this.pause !== undefined) || !this.running) {
          await this.release(batch.map((b) => b.job));
          settle(batch.map((b) => b.job));
          continue;
        }
        const users = new Set(batch.map((b) => b.o.userKey));
        if (!(await this.slots.acquire(users))) {
          await this.release(batch.map((b) => b.job));
          settle(batch.map((b) => b.job));
          continue;
        }
        if (!probe && this.pause !== undefined) {
          this.slots.release(users);
          await this.release(batch.map((b) => b.job));
          settle(batch.map((b) => b.job));
          continue;
        }
        // A user retrying from an earlier batch of this page holds its later records back; an idempotent batch stays whole.
        const regrouped = batch[0]!.job.batch !== undefined && batch.some((b) => heldUsers.has(b.o.userKey));
        const held = regrouped ? batch : batch.filter((b) => heldUsers.has(b.o.userKey));
        const send = held.length === 0 ? batch : batch.filter((b) => !held.includes(b));
        if (held.length > 0) {
          await this.release(held.map((b) => b.job));
          settle(held.map((b) => b.job));
        }
        if (send.length === 0) {
          this.slots.release(users);
          continue;
        }
        settle(send.map((b) => b.job));
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
      // Whatever this round did not record, give back or send is left to its lease (it comes back): not held here.
      this.letGo([...owned]);
    }
  }

  /** Sends one batch in a slot already taken; its jobs stop counting against the budget once recorded. */
  private dispatch(batch: Item[], users: ReadonlySet<string>, heldUsers: Set<string>): Promise<void> {
    let slotFree = false;
    // The slot (request and users) frees when the vendor has answered, before the outcome is written:
    // the next request need not wait for the spool. Per-user order holds: a retrying user is in
    // heldUsers by then, and the jobs stay leased (no claim hands out the user's later ones) until recorded.
    const freeSlot = () => {
      if (slotFree) return;
      slotFree = true;
      this.slots.release(users);
      this.waker.wake();
    };
    const request = this.send(batch, heldUsers, freeSlot).finally(() => {
      // Recorded by now, or (a failed write) left to its lease: room in the budget again.
      this.letGo(batch.map((b) => b.job));
      freeSlot();
      this.slots.notify();
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

  private prepare(jobs: Job[]): { outgoing: Outgoing[]; finished: Finished[] } {
    const outgoing: Outgoing[] = [];
    const finished: Finished[] = [];
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

  private async send(items: Item[], heldUsers: Set<string>, answered: () => void): Promise<void> {
    const outcomes = await sendBatch(
      { integration: this.o.integration, http: this.o.http, logger: this.o.logger, now: this.o.now, explain: (e) => this.explain(e) },
      items.map((b) => b.o),
    );
    const at = this.o.now();
    const finished = items.map(({ o, job }, j): Finished => {
      const { result, exchange, durationMs } = outcomes[j]!;
      if (result.status === 'auth') {
        this.pauseFor(result.message);
        return { job, result, update: { job, state: 'release' }, durationMs };
      }
      const update = jobUpdateFor(job, result, { at, policy: this.o.policy, payloadJson: this.o.integration.redactedRecordJson(o), ...(exchange === undefined ? {} : { exchange }) });
      if (update.state === 'retry') heldUsers.add(o.userKey);
      return { job, result, update, durationMs, ...(exchange === undefined ? {} : { exchange }) };
    });
    if (this.groups !== undefined && finished.every((f) => f.update.state === 'retry')) this.keepTogether(finished);
    answered();
    await this.record(finished);
  }

  /**
   * No definite answer for a whole idempotent batch (timeout, reset, 5xx): its jobs retry together,
   * tagged with their batch and due at one time, so the retry is the same records in the same order.
   */
  private keepTogether(finished: Finished[]): void {
    const group = groupIdOf(finished.map((f) => f.job.id));
    const retryAt = Math.max(...finished.map((f) => (f.update.state === 'retry' ? f.update.retryAt : 0)));
    finished.forEach((f, position) => {
      if (f.update.state === 'retry') f.update = { ...f.update, retryAt, batch: groupTag(group, finished.length, position) };
    });
  }

  /** Writes one batch's outcomes in one transaction, then tells listeners. A failed write leaves the jobs leased: they come back. */
  private async record(finished: Finished[]): Promise<void> {
    if (finished.length === 0) return;
    const updates = finished.map((f) => f.update);
    try {
      await this.o.spool.complete(updates);
    } catch (error) {
      this.o.logger.error({ integration: this.id, jobs: updates.length, err: this.explain(error) }, `recording delivery results for ${this.id} failed; the jobs come back when their lease expires`);
      return;
    } finally {
      this.letGo(updates.map((u) => u.job));
    }
    for (const { job, result, update, exchange, durationMs } of finished) {
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
    } finally {
      this.letGo(jobs);
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

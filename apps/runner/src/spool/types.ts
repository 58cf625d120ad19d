import type { DeliveryResult, Exchange, SignalEvent } from '@signal/core';

/**
 * The spool: durable storage of accepted events and of one delivery job per
 * (event, integration). Two implementations (SQLite, NATS JetStream); the
 * delivery engine and the collector see only this interface.
 *
 * Job states (RudderStack-style; every transition is recorded as an attempt,
 * and that record is the delivery log):
 *   pending → (claimed) → delivered | rejected | dropped | dead
 *                       → retry (with retry_at) → claimed again …
 *   paused: the integration hit an auth failure; jobs wait until it resumes.
 */
export const jobStates = ['pending', 'inflight', 'retry', 'delivered', 'rejected', 'dropped', 'dead'] as const;
export type JobState = (typeof jobStates)[number];

/** States a delivery-log query may filter by: a job state, or `failed` (rejected or dead). */
export const deliveryQueryStates = [...jobStates, 'failed'] as const;

export const terminalStates: readonly JobState[] = ['delivered', 'rejected', 'dropped', 'dead'];

export interface AppendItem {
  event: SignalEvent;
  /** Integration ids this event is routed to (by the pipelines of its source). */
  integrations: string[];
  /** Source id (write key owner). */
  source: string;
}

export interface AppendResult {
  /** Per input item, in order: stored, or already present (same message_id). */
  outcomes: ('stored' | 'duplicate')[];
}

export interface Job {
  /** Opaque to the engine. */
  id: string;
  integration: string;
  messageId: string;
  userKey: string;
  event: SignalEvent;
  /** Attempts made before this claim. */
  attempts: number;
  /** Epoch ms of the first attempt, or undefined if never attempted. */
  firstAttemptAt?: number;
  /** The batch this job is to be retried with, as the engine tagged it (idempotent batches; opaque to the spool). */
  batch?: string;
}

export interface AttemptRecord {
  /** Epoch ms when the attempt finished. */
  at: number;
  result: DeliveryResult;
  /** Redacted request/response; absent when nothing was sent (dropped, rejected before sending). */
  exchange?: Exchange;
  /** The record the plugin built (the mapped payload). */
  payload?: unknown;
}

/**
 * An attempt as the engine hands it to complete(): the payload may come as its JSON text
 * instead (payloadJson, made once by core's prepare), which a spool stores as it is.
 */
export interface AttemptInput extends AttemptRecord {
  payloadJson?: string;
}

export type JobUpdate =
  | { job: Job; state: 'delivered' | 'rejected' | 'dropped' | 'dead'; attempt: AttemptInput }
  /** `batch`: retry with exactly these batch-mates (idempotent batches); stored with the job, cleared by any other outcome or a replay. */
  | { job: Job; state: 'retry'; attempt: AttemptInput; retryAt: number; batch?: string }
  /** Give the job back untouched (e.g. integration paused mid-flight); does not count as an attempt. With retryAt: not due before then. */
  | { job: Job; state: 'release'; retryAt?: number };

export interface ClaimOptions {
  limit: number;
  now: number;
  /** How long the claim holds before another runner may take the job (crash recovery). */
  leaseMs: number;
}

export interface QueueStats {
  integration: string;
  /** Jobs not yet final (pending, inflight, retry). */
  depth: number;
  /** Age in ms of the oldest non-final job (0 when empty). */
  oldestAgeMs: number;
  byState: Partial<Record<JobState, number>>;
}

export interface DeliveryQuery {
  integration?: string;
  state?: JobState | 'failed';
  limit?: number;
  /** Return entries older than this cursor (from a previous page). */
  before?: string;
}

/** One job as the delivery log shows it. */
export interface DeliveryEntry {
  id: string;
  integration: string;
  messageId: string;
  eventType: string;
  eventName?: string;
  userKey: string;
  state: JobState;
  attempts: number;
  createdAt: number;
  updatedAt: number;
  retryAt?: number;
  lastResult?: DeliveryResult;
}

/**
 * The event debugger's search: one row per event (newest first), each with its deliveries.
 * All filters are exact except `eventName` (case-insensitive); they combine with AND.
 */
export interface EventQuery {
  messageId?: string;
  /** Matches the event's `user_id` or its `anonymous_id`. */
  user?: string;
  /** The track event name, or the page/screen name. */
  eventName?: string;
  /** Only events with a delivery to this integration (and, with `state`, in that state there). */
  integration?: string;
  state?: JobState | 'failed';
  limit?: number;
  /** Cursor: `next` of the previous page. */
  before?: string;
}

export interface EventSummary {
  messageId: string;
  source: string;
  type: string;
  eventName?: string;
  userId?: string;
  anonymousId?: string;
  /** Epoch ms when the collector stored it. */
  receivedAt: number;
  /** One per integration the event was routed to. */
  deliveries: DeliveryEntry[];
}

export interface EventPage {
  events: EventSummary[];
  /**
   * Present when older events remain unexamined: pass it as `before`. A driver may examine a
   * bounded number of events per call (so a search never stalls the process); a page can then
   * hold fewer than `limit` events, even none, and still have a `next`.
   */
  next?: string;
}

export interface DeliveryDetail extends DeliveryEntry {
  history: AttemptRecord[];
}

export interface EventDetail {
  event: SignalEvent;
  source: string;
  deliveries: DeliveryDetail[];
}

/** Whether the spool can take writes now (the collector answers 503 and /readyz says why when not). */
export interface SpoolHealth {
  writable: boolean;
  /** Why the last write failed (disk full, JetStream unavailable); cleared by the next successful write. */
  reason?: string;
  /** Epoch ms of that failure. */
  since?: number;
}

export interface Spool {
  readonly driver: 'sqlite' | 'nats';
  /**
   * Stores events durably; resolves only after the commit is on disk (or acked by the cluster).
   * Also remembers each user's identify traits (merged, keyed by user_id else anonymous_id) and
   * copies them into later events' `context.traits` (event's own values win), so a plugin's pure
   * transform can read e.g. the email CleverTap needs as identity on a track call.
   * (The merge rule is shared: src/spool/traits.ts, applyTraitsMemory.) Rejects with SpoolError
   * when the store fails: the collector answers 503 and the client retries.
   */
  append(items: AppendItem[]): Promise<AppendResult>;
  /**
   * Leases due jobs of one integration, oldest first (by due time: a pending job is due when
   * stored, a retry at its retryAt; ties by arrival). Skips every job of a user
   * whose earlier job is still in flight or waiting to retry (per-user order); may
   * return several jobs of one user, in their order (the engine never sends them in
   * two concurrent requests). A job whose lease expired is due again.
   * Both drivers: run test/spool/contract.ts (`spoolContract`) against yourself.
   */
  claim(integration: string, options: ClaimOptions): Promise<Job[]>;
  /**
   * Extends the lease of jobs this runner still holds (waiting for a request slot, or in a
   * request): until `now + leaseMs` no claim hands them out again. The engine renews every held
   * job well before its lease ends, so only a crashed (or hung) runner's jobs ever come back.
   * Jobs already completed or no longer leased are ignored.
   */
  renew(jobs: readonly Job[], options: { now: number; leaseMs: number }): Promise<void>;
  /**
   * Records outcomes of claimed jobs; the engine calls it once per batch, so write them in
   * one transaction. Every non-release update counts one attempt and appends it to the
   * job's history (the delivery log). A retry or a release with retryAt also holds the
   * user's later jobs until then (they may not overtake it; SQLite moves them to that time when a claim meets them).
   * Throws SpoolError (src/spool/errors.ts) when storage fails; the jobs then come back
   * when their lease expires.
   */
  complete(updates: JobUpdate[]): Promise<void>;
  /** Moves matching final jobs (default: dead) back to pending with attempts reset. Returns how many. */
  replay(filter: { integration?: string; state?: JobState; messageIds?: string[] }): Promise<number>;
  stats(): Promise<QueueStats[]>;
  /** Jobs not yet final (pending, in flight, retrying), all integrations: what `storage.max_backlog` bounds. */
  backlog(): Promise<number>;
  /** Synchronous, cheap: the outcome of the latest write. */
  health(): SpoolHealth;
  /**
   * A small durable write, to learn whether storage took writes again (disk space back, JetStream
   * back under its limits) when no append comes to say so (/readyz while a load balancer keeps
   * traffic away). Success makes health() writable; failure leaves it as it is.
   */
  probeWrite(): Promise<void>;
  deliveries(query: DeliveryQuery): Promise<DeliveryEntry[]>;
  /** Events with their deliveries, newest first, filtered (the event debugger's list and search). */
  findEvents(query: EventQuery): Promise<EventPage>;
  /** An event by message id; ids dedupe per source, so with two sources sharing an id, `source` picks one (default: the latest stored). */
  event(messageId: string, source?: string): Promise<EventDetail | undefined>;
  /** Earliest retry time among an integration's waiting jobs (for the scheduler's sleep), or undefined. */
  nextDueAt(integration: string): Promise<number | undefined>;
  close(): Promise<void>;
}

import type { DeliveryResult, Exchange, HttpClient, Integration, Logger, RetryPolicyConfig } from '@signal/core';
import type { JobState, Spool } from '../spool/types.js';

export interface DeliveryEngineOptions {
  spool: Spool;
  /** Built with core's createIntegration (settings parsed, secrets known to the redactor). */
  integrations: Integration[];
  http: HttpClient;
  /** Engine-wide retry policy over the plugin's own default (core defaults: base 1 s, cap 5 min, 10 attempts and 3 h). */
  retry?: Partial<RetryPolicyConfig>;
  /** Per-integration retry overrides, merged over `retry`. */
  retryByIntegration?: Record<string, Partial<RetryPolicyConfig>>;
  /** Requests in flight per integration; capped at the plugin's maxConcurrency (the default). */
  concurrency?: Record<string, number>;
  /**
   * Most records a lane holds claimed and not yet recorded (default 4,000; never below one
   * batch). Bounds memory while a backlog drains: full batches then use at most
   * this / maxBatchItems of the concurrency; small batches can still use all of it.
   */
  maxRecordsInFlight?: number;
  /** Longest a partial batch waits for more events (default: the plugin's, else 200 ms; capped at 1 s). */
  lingerMs?: number;
  /** Longest idle sleep between claims when nothing is due (default 1 s; wake() cuts it short). */
  pollIntervalMs?: number;
  /** Claim lease: a crashed runner's jobs are due again after this (default 60 s; must exceed the HTTP timeout). */
  leaseMs?: number;
  /** How long an integration paused by an auth failure waits before one probe batch (default 5 min). */
  authPauseMs?: number;
  logger: Logger;
  /** Clock for retry times, leases and pauses (tests inject one). */
  now?: () => number;
  /** Jitter source for the retry policy (tests inject one). */
  random?: () => number;
}

/** One job's outcome, as metrics, `signal dev` and the debugger page see it. */
export interface AttemptEvent {
  integration: string;
  messageId: string;
  /** The job's new state; `paused` when an auth failure gave the job back untouched. */
  state: JobState | 'paused';
  result: DeliveryResult;
  /** Attempts made so far, this one included. */
  attempts: number;
  exchange?: Exchange;
  durationMs?: number;
}

export interface DeliveryEngine {
  start(): void;
  /** Stops claiming and resolves once every request in flight has finished and been recorded. */
  stop(): Promise<void>;
  on(event: 'attempt', fn: (e: AttemptEvent) => void): void;
  /** Integrations paused by an auth failure, with the vendor's message. */
  paused(): Record<string, string>;
  /** Ends an auth pause now (e.g. after the credentials were fixed). */
  resume(integration: string): void;
  /** New events were stored: claim now instead of at the next poll. */
  wake(integration?: string): void;
}

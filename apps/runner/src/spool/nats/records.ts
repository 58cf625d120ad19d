import type { DeliveryResult, Exchange, SignalEvent } from '@signal/core';
import type { AttemptRecord, JobState } from '../types.js';

/** What the streams hold, as JSON. See docs/scale-out.md "What is stored where". */

/** Headers of an EVENTS message (values header-safe: a token, hex hashes, tokens). */
export const commitHeader = 'Signal-Commit';
export const idsHeader = 'Signal-Ids';
export const sourcesHeader = 'Signal-Sources';

/** EVENTS: one message per commit (the appends one runner grouped into one write). */
export interface CommitRecord {
  /** Commit id: names the commit's delivery-log subjects. */
  c: string;
  /** Epoch ms when stored. */
  t: number;
  items: { s: string; i: string[]; e: SignalEvent }[];
}

/** WORK: one commit's events routed to one integration; a job per event. */
export interface ChunkRecord {
  c: string;
  t: number;
  jobs: { s: string; e: SignalEvent }[];
}

/** Where a job came from: its commit (log subject) and its place in the chunk (delivery-log order). */
export interface Origin {
  c: string;
  /** Chunk stream sequence and index in it. */
  o: [number, number];
}

/** RETRY: one job, with the state it carries between attempts (survives restarts). */
export interface RetryRecord extends Origin {
  integration: string;
  source: string;
  event: SignalEvent;
  createdAt: number;
  attempts: number;
  firstAttemptAt?: number;
  /** Not before this time (epoch ms), re-checked on every delivery. */
  retryAt?: number;
  /** The engine's idempotent-batch tag (Job.batch). */
  batch?: string;
}

/** DEAD: the job as it was when it was given up. */
export interface DeadRecord extends RetryRecord {
  deadAt: number;
}

/** HOLD, subject per (integration, user): later jobs of the user wait while this job retries. */
export interface HoldRecord {
  messageId: string;
  userKey: string;
  retryAt: number;
}

/** An attempt as the log stores it: the batch's exchange by reference (EXCHANGE stream), not a copy per job. */
export type StoredAttempt = Omit<AttemptRecord, 'exchange'> & { exchangeId?: string };

/**
 * LOG, one message per (integration, commit) and recorded batch: a record per job whose state
 * changed. A job's entry is its latest record; its history, the attempts of all its records.
 */
export interface LogRecord {
  /** Job id. */
  id: string;
  m: string;
  s: string;
  ty: string;
  nm?: string;
  u: string;
  st: JobState;
  /** Attempts after this change. */
  n: number;
  /** Epoch ms of the change. */
  at: number;
  /** Created (stored) at. */
  ct: number;
  o: [number, number];
  ra?: number;
  r?: DeliveryResult;
  /** The attempt this change records (absent for a release or a replay). */
  a?: StoredAttempt;
}

/** LOG message body. */
export interface LogBatch {
  records: LogRecord[];
}

/** Attempts kept per job in event() (replays can add more than max_attempts). */
export const maxLoggedAttempts = 20;

/** Bodies beyond this are cut: the exchange is one NATS message (at most 1 MB by default) holding request and response. */
const maxLoggedBody = 256 * 1024;

function cut(body: string): string {
  return body.length <= maxLoggedBody ? body : `${body.slice(0, maxLoggedBody)}… [${body.length - maxLoggedBody} more characters not kept]`;
}

export function fitExchange(ex: Exchange): Exchange {
  return {
    ...ex,
    request: { ...ex.request, body: cut(ex.request.body) },
    ...(ex.response === undefined ? {} : { response: { ...ex.response, body: cut(ex.response.body) } }),
  };
}

export function encode(value: unknown): string {
  return JSON.stringify(value);
}

export function decode<T>(data: Uint8Array): T {
  return JSON.parse(Buffer.from(data).toString('utf8')) as T;
}

export function eventName(event: SignalEvent): string | undefined {
  return event.event ?? event.name;
}

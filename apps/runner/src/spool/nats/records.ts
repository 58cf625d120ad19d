import type { SignalEvent } from '@signal/core';
import type { AttemptRecord, DeliveryDetail } from '../types.js';

/** What the streams hold, as JSON. */

/** EVENTS stream, subject per message_id. */
export interface EventRecord {
  event: SignalEvent;
  source: string;
  integrations: string[];
  storedAt: number;
}

/** WORK stream, one message per due job. The retry state travels with the job, so it survives restarts. */
export interface WorkRecord {
  integration: string;
  source: string;
  event: SignalEvent;
  createdAt: number;
  attempts: number;
  firstAttemptAt?: number;
  /** Not before this time (epoch ms): a stored retry, re-checked on every delivery. */
  retryAt?: number;
}

/** DEAD stream: the job as it was when it was given up. */
export interface DeadRecord extends WorkRecord {
  deadAt: number;
}

/** HOLD stream, subject per (integration, user): later jobs of the user wait while this job retries. */
export interface HoldRecord {
  messageId: string;
  userKey: string;
  retryAt: number;
}

/** LOG stream, subject per (integration, message_id): the delivery log entry, plus the sequence of its tally message. */
export type StoredEntry = DeliveryDetail & { tallySeq?: number };

/** The entry as the delivery log shows it. */
export function publicDetail(entry: StoredEntry): DeliveryDetail {
  const { tallySeq: _t, ...detail } = entry;
  return detail;
}

/** Bodies beyond this are cut in the log: a NATS message is at most 1 MB by default, and one batch's exchange is copied to each of its events. */
const maxLoggedBody = 16 * 1024;
/** Attempts kept per job (replays can add more than max_attempts). */
export const maxLoggedAttempts = 20;

function cut(body: string): string {
  return body.length <= maxLoggedBody ? body : `${body.slice(0, maxLoggedBody)}… [${body.length - maxLoggedBody} more characters not kept]`;
}

export function fitAttempt(attempt: AttemptRecord): AttemptRecord {
  const ex = attempt.exchange;
  if (ex === undefined) return attempt;
  return {
    ...attempt,
    exchange: {
      ...ex,
      request: { ...ex.request, body: cut(ex.request.body) },
      ...(ex.response === undefined ? {} : { response: { ...ex.response, body: cut(ex.response.body) } }),
    },
  };
}

export function encode(value: unknown): string {
  return JSON.stringify(value);
}

export function decode<T>(data: Uint8Array): T {
  return JSON.parse(Buffer.from(data).toString('utf8')) as T;
}

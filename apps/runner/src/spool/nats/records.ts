import type { Exchange, SignalEvent } from '@signal/core';
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
  /** The engine's idempotent-batch tag (Job.batch): retry with exactly these batch-mates. */
  batch?: string;
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

/** An attempt as the log stores it: the batch's exchange by reference (EXCHANGE stream), not a copy per job. */
export type StoredAttempt = Omit<AttemptRecord, 'exchange'> & { exchange?: Exchange; exchangeId?: string };

/** LOG stream, subject per (integration, message_id): the delivery log entry, plus the sequence of its tally message. */
export type StoredEntry = Omit<DeliveryDetail, 'history'> & { history: StoredAttempt[]; tallySeq?: number; source?: string };

/** Attempts kept per job (replays can add more than max_attempts). */
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

/** The entry as the delivery log shows it, with each attempt's exchange looked up by `exchangeOf`. */
export function publicDetail(entry: StoredEntry, exchangeOf: (id: string) => Exchange | undefined = () => undefined): DeliveryDetail {
  const { tallySeq: _t, source: _s, history, ...detail } = entry;
  return {
    ...detail,
    history: history.map(({ exchangeId, ...attempt }) => {
      const exchange = attempt.exchange ?? (exchangeId === undefined ? undefined : exchangeOf(exchangeId));
      return exchange === undefined ? attempt : { ...attempt, exchange };
    }),
  };
}

export function encode(value: unknown): string {
  return JSON.stringify(value);
}

export function decode<T>(data: Uint8Array): T {
  return JSON.parse(Buffer.from(data).toString('utf8')) as T;
}

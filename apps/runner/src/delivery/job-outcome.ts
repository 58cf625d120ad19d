import type { DeliveryResult, Exchange, RetryPolicy } from '@signal/core';
import type { Job, JobUpdate } from '../spool/types.js';

/**
 * The one mapping from a delivery result to the job's next state. `auth` is not
 * here: it pauses the integration and gives the job back (see the lane).
 */
export function jobUpdateFor(
  job: Job,
  result: Exclude<DeliveryResult, { status: 'auth' }>,
  context: { at: number; policy: RetryPolicy; exchange?: Exchange; payloadJson?: string | undefined },
): JobUpdate {
  const attempt = {
    at: context.at,
    result,
    ...(context.exchange === undefined ? {} : { exchange: context.exchange }),
    ...(context.payloadJson === undefined ? {} : { payloadJson: context.payloadJson }),
  };
  if (result.status !== 'retry') return { job, state: result.status, attempt };
  const decision = context.policy.decide({
    attempt: job.attempts + 1,
    firstAttemptAt: job.firstAttemptAt ?? context.at,
    now: context.at,
    reason: result.reason,
    ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
  });
  if (decision.action === 'dead') return { job, state: 'dead', attempt: { ...attempt, result: { ...result, reason: decision.reason } } };
  return { job, state: 'retry', retryAt: decision.retryAt, attempt };
}

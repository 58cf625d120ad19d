import { z } from 'zod';

/**
 * The one retry policy: exponential backoff (full jitter by default), a Retry-After
 * floor, and dead-lettering only once both the attempts and a time window are spent
 * (RudderStack's rule), so one long outage does not burn every attempt in a few seconds.
 * Defaults (RudderStack's router: 5 min backoff cap, 180 min window) survive a vendor
 * outage of up to three hours with nothing dead-lettered.
 */
export const retryPolicySchema = z.object({
  base_ms: z.number().int().positive().default(1_000),
  cap_ms: z.number().int().positive().default(300_000),
  /** Attempts in all, the first included. */
  max_attempts: z.number().int().min(1).default(10),
  /** Also require this much time since the first attempt before dead-lettering (0 = attempts alone). */
  min_window_ms: z.number().int().min(0).default(3 * 60 * 60 * 1000),
  /** `full`: a random delay up to the exponential ceiling (spreads a herd); `none`: exactly base × 2^(n-1), capped (a vendor's published schedule). */
  jitter: z.enum(['full', 'none']).default('full'),
});
export type RetryPolicyConfig = z.output<typeof retryPolicySchema>;

export type RetryDecision = { action: 'retry'; delayMs: number; retryAt: number } | { action: 'dead'; reason: string };

export interface RetryPolicy {
  readonly config: RetryPolicyConfig;
  /** Delay before attempt `attempt + 1`, after `attempt` (1-based) failed. */
  backoffMs(attempt: number, retryAfterMs?: number): number;
  /** What to do after attempt `attempt` (1-based) failed with a retryable result. */
  decide(input: { attempt: number; firstAttemptAt: number; now: number; retryAfterMs?: number; reason: string }): RetryDecision;
}

export function createRetryPolicy(config: Partial<RetryPolicyConfig> = {}, random: () => number = Math.random): RetryPolicy {
  const cfg = retryPolicySchema.parse(config);
  const backoffMs = (attempt: number, retryAfterMs?: number): number => {
    const ceiling = Math.min(cfg.cap_ms, cfg.base_ms * 2 ** Math.max(0, attempt - 1));
    const jittered = cfg.jitter === 'none' ? ceiling : Math.floor(random() * ceiling);
    // Retry-After is the vendor's floor; it may exceed our cap (the vendor knows best).
    return Math.max(jittered, retryAfterMs ?? 0);
  };
  return {
    config: cfg,
    backoffMs,
    decide({ attempt, firstAttemptAt, now, retryAfterMs, reason }) {
      const attemptsSpent = attempt >= cfg.max_attempts;
      const windowSpent = now - firstAttemptAt >= cfg.min_window_ms;
      if (attemptsSpent && windowSpent) {
        return { action: 'dead', reason: `gave up after ${attempt} attempts: ${reason}` };
      }
      const delayMs = backoffMs(attempt, retryAfterMs);
      return { action: 'retry', delayMs, retryAt: now + delayMs };
    },
  };
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

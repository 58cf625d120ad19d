import { createRetryPolicy } from '@signal/core';
import { describe, expect, it } from 'vitest';
import webhook from '../src/index.js';

// The webhook spec's "Retries": up to 5 retries, 1 minute after the first failure, then 2, 4 … minutes.
const minute = 60_000;

describe('the plugin’s default retry policy', () => {
  it('is declared on the definition', () => {
    expect(webhook.retry).toEqual({ base_ms: 60_000, cap_ms: 3_600_000, max_attempts: 6, min_window_ms: 0, jitter: 'none' });
  });

  it('waits 1, 2, 4, 8, 16 minutes (no jitter, whatever the random source), then dead-letters after the 6th attempt', () => {
    const policy = createRetryPolicy(webhook.retry, () => 0.01);
    const first = Date.UTC(2025, 5, 6, 9, 0, 0);
    let now = first;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const decision = policy.decide({ attempt, firstAttemptAt: first, now, reason: 'HTTP 503' });
      expect(decision.action).toBe('retry');
      if (decision.action !== 'retry') return;
      delays.push(decision.delayMs);
      now = decision.retryAt;
    }
    expect(delays).toEqual([1, 2, 4, 8, 16].map((m) => m * minute));
    expect(policy.decide({ attempt: 6, firstAttemptAt: first, now, reason: 'HTTP 503' })).toEqual({ action: 'dead', reason: 'gave up after 6 attempts: HTTP 503' });
  });

  it('honours Retry-After as a floor', () => {
    expect(createRetryPolicy(webhook.retry).backoffMs(1, 5 * minute)).toBe(5 * minute);
  });

  it('config overrides it per integration (merged over the plugin’s policy, as the runner does)', () => {
    const policy = createRetryPolicy({ ...webhook.retry, max_attempts: 3, base_ms: 1_000 });
    expect(policy.backoffMs(1)).toBe(1_000);
    expect(policy.decide({ attempt: 3, firstAttemptAt: 0, now: 7_000, reason: 'x' }).action).toBe('dead');
  });
});

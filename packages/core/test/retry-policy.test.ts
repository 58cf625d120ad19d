import { describe, expect, it } from 'vitest';
import { createRetryPolicy, parseRetryAfter } from '@signal/core';

describe('retry policy', () => {
  it('backs off exponentially with full jitter under the cap', () => {
    const top = createRetryPolicy({ base_ms: 1000, cap_ms: 10_000 }, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6].map((a) => top.backoffMs(a))).toEqual([999, 1999, 3999, 7999, 9999, 9999]);
    const bottom = createRetryPolicy({}, () => 0);
    expect(bottom.backoffMs(3)).toBe(0);
    const half = createRetryPolicy({ base_ms: 1000 }, () => 0.5);
    expect(half.backoffMs(2)).toBe(1000);
  });

  it('honours Retry-After as a floor, even above the cap', () => {
    const p = createRetryPolicy({ base_ms: 1000, cap_ms: 5000 }, () => 0.1);
    expect(p.backoffMs(1, 7000)).toBe(7000);
    expect(p.backoffMs(10, 100)).toBe(500);
  });

  it('defaults: 10 attempts and a 3-hour window, both spent before a dead letter', () => {
    const p = createRetryPolicy({}, () => 0.5);
    expect(p.config).toMatchObject({ base_ms: 1000, cap_ms: 300_000, max_attempts: 10, min_window_ms: 3 * 3600_000, jitter: 'full' });
    // An hour-long outage: ever more attempts, none dead while the window runs.
    expect(p.decide({ attempt: 40, firstAttemptAt: 0, now: 3600_000, reason: 'HTTP 503' }).action).toBe('retry');
    expect(p.decide({ attempt: 10, firstAttemptAt: 0, now: 3 * 3600_000, reason: 'HTTP 503' }).action).toBe('dead');
    expect(p.decide({ attempt: 9, firstAttemptAt: 0, now: 5 * 3600_000, reason: 'HTTP 503' }).action).toBe('retry');
  });

  it('jitter none follows a published schedule exactly (webhook spec: 1, 2, 4 min)', () => {
    const p = createRetryPolicy({ base_ms: 60_000, cap_ms: 3600_000, jitter: 'none' }, () => 0);
    expect([1, 2, 3, 4, 5].map((a) => p.backoffMs(a))).toEqual([60_000, 120_000, 240_000, 480_000, 960_000]);
  });

  it('dead-letters after max_attempts when the window is 0', () => {
    const p = createRetryPolicy({ max_attempts: 5, min_window_ms: 0 }, () => 0.5);
    expect(p.config.max_attempts).toBe(5);
    const now = 1_000_000;
    expect(p.decide({ attempt: 4, firstAttemptAt: now, now, reason: 'HTTP 500' })).toEqual({ action: 'retry', delayMs: 4000, retryAt: now + 4000 });
    expect(p.decide({ attempt: 5, firstAttemptAt: now, now, reason: 'HTTP 500' })).toEqual({ action: 'dead', reason: 'gave up after 5 attempts: HTTP 500' });
  });

  it('with a window, keeps retrying until attempts AND time are spent', () => {
    const p = createRetryPolicy({ max_attempts: 2, min_window_ms: 60_000 }, () => 0);
    expect(p.decide({ attempt: 3, firstAttemptAt: 0, now: 30_000, reason: 'x' }).action).toBe('retry');
    expect(p.decide({ attempt: 3, firstAttemptAt: 0, now: 60_000, reason: 'x' }).action).toBe('dead');
  });

  it('rejects nonsense config', () => {
    expect(() => createRetryPolicy({ max_attempts: 0 })).toThrow();
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.parse('2025-06-06T09:00:00Z');
    expect(parseRetryAfter('Fri, 06 Jun 2025 09:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 06 Jun 2025 08:00:00 GMT', now)).toBe(0);
  });
});

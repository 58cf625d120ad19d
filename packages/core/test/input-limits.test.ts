import { findInputViolation, inputLimits, parseEvent } from '@signal/core';
import { describe, expect, it } from 'vitest';

const nested = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

describe('findInputViolation', () => {
  it('accepts ordinary events and names that are Object.prototype members', () => {
    expect(findInputViolation({ event: 'E', properties: { constructor: 'x', toString: 1, valueOf: [1], prototype: { a: 1 }, hasOwnProperty: null } })).toBeUndefined();
  });

  it(`allows ${inputLimits.maxDepth} levels per event and names the path beyond`, () => {
    expect(findInputViolation({ p: nested(inputLimits.maxDepth - 1) })).toBeUndefined();
    const issue = findInputViolation({ p: nested(inputLimits.maxDepth) });
    expect(issue?.message).toMatch(/nested more than 64 levels/);
    expect(issue?.path).toMatch(/^p(\.(a|0))+$/);
    // A wrapper (depth 0 for the array, -1 for the object) does not count.
    expect(findInputViolation({ batch: [{ p: nested(inputLimits.maxDepth - 1) }] }, { depth: -1 })).toBeUndefined();
  });

  it('stops at the limit: 1,000,000 levels cost no more stack than 65', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(findInputViolation({ p: deep })?.message).toMatch(/nested/);
  });

  it('finds non-finite numbers and prototype keys with their paths; cuts long paths in the middle', () => {
    expect(findInputViolation({ a: [1, Infinity] })).toEqual({ path: 'a.1', message: expect.stringMatching(/too large/) });
    expect(findInputViolation(JSON.parse('{"a":{"__proto__":{"x":1}}}'))?.path).toBe('a.__proto__');
    expect(findInputViolation(JSON.parse('{"constructor":{"prototype":{}}}'))?.path).toBe('constructor.prototype');
    const long = findInputViolation({ ['k'.repeat(500)]: -Infinity });
    expect(long?.path.length).toBeLessThanOrEqual(161);
    expect(long?.path).toContain('…');
  });
});

describe('parseEvent: sentAt clock-skew correction', () => {
  const receivedAt = new Date('2025-06-06T12:00:00.000Z');

  it('corrects timestamp by receivedAt − sentAt and keeps the client value', () => {
    const r = parseEvent({ type: 'track', event: 'E', user_id: 'u', timestamp: '2025-06-06T12:59:00.000Z', sentAt: '2025-06-06T13:00:00.000Z' }, { receivedAt });
    expect(r.ok && r.event).toMatchObject({ timestamp: '2025-06-06T11:59:00.000Z', original_timestamp: '2025-06-06T12:59:00.000Z', received_at: '2025-06-06T12:00:00.000Z' });
  });

  it('a device clock years off (a dead RTC battery says 1970) is corrected too', () => {
    const r = parseEvent({ type: 'track', event: 'E', user_id: 'u', timestamp: '1970-01-01T00:10:00Z', sentAt: '1970-01-01T00:20:00Z' }, { receivedAt });
    expect(r.ok && r.event.timestamp).toBe('2025-06-06T11:50:00.000Z');
  });

  it('uses the batch-level sentAt when the event has none; originalTimestamp counts as the timestamp', () => {
    const r = parseEvent({ type: 'page', anonymous_id: 'a', originalTimestamp: '2025-06-06T10:00:00Z' }, { receivedAt, sentAt: '2025-06-06T11:00:00Z' });
    expect(r.ok && r.event.timestamp).toBe('2025-06-06T11:00:00.000Z');
  });

  it('leaves the timestamp alone without a usable sentAt, with no skew, or when the result would be out of range', () => {
    for (const sentAt of [undefined, 'soon', 42, '2025-06-06T12:00:00.000Z', '9999-12-31T00:00:00Z']) {
      const r = parseEvent({ type: 'track', event: 'E', user_id: 'u', timestamp: '2025-06-06T08:00:00Z', sentAt }, { receivedAt });
      expect(r.ok && r.event.timestamp, String(sentAt)).toBe('2025-06-06T08:00:00Z');
      expect(r.ok && r.event.original_timestamp).toBeUndefined();
    }
  });

  it('message_id over 200 characters is an issue at message_id', () => {
    const r = parseEvent({ type: 'track', event: 'E', user_id: 'u', messageId: 'm'.repeat(201) });
    expect(r).toEqual({ ok: false, issues: [{ path: 'message_id', message: 'must be at most 200 characters' }] });
  });
});

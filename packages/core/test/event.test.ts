import { describe, expect, it } from 'vitest';
import { parseEvent, userKeyOf } from '@signal/core';

const at = new Date('2025-06-06T09:00:00.000Z');

describe('parseEvent', () => {
  it('accepts a Signal snake_case track and fills received_at', () => {
    const r = parseEvent({ type: 'track', event: 'Order Completed', user_id: 'u1', message_id: 'm1', timestamp: '2025-06-06T08:00:00Z', properties: { revenue: 9.5 } }, { receivedAt: at });
    expect(r).toEqual({
      ok: true,
      event: expect.objectContaining({ type: 'track', event: 'Order Completed', user_id: 'u1', message_id: 'm1', timestamp: '2025-06-06T08:00:00Z', received_at: at.toISOString(), properties: { revenue: 9.5 }, traits: {}, context: {} }),
    });
  });

  it('normalises Segment camelCase and drops transport fields', () => {
    const r = parseEvent(
      { type: 'identify', userId: 42, anonymousId: 'anon', messageId: 'seg-1', writeKey: 'wk', sentAt: 'x', traits: { email: 'a@b.c' }, context: { userAgent: 'UA/1', consent: { categoryPreferences: { marketing: true, ads: false } } } },
      { receivedAt: at },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.user_id).toBe('42');
    expect(r.event.anonymous_id).toBe('anon');
    expect(r.event.message_id).toBe('seg-1');
    expect(r.event.context.user_agent).toBe('UA/1');
    expect(r.event.context.consent?.categories).toEqual(['marketing']);
    expect(r.event).not.toHaveProperty('writeKey');
    expect(r.event).not.toHaveProperty('userId');
  });

  it('prefers snake_case when both spellings are present', () => {
    const r = parseEvent({ type: 'page', user_id: 'snake', userId: 'camel' });
    expect(r.ok && r.event.user_id).toBe('snake');
  });

  it('generates a message_id and defaults timestamp to the receive time', () => {
    const r = parseEvent({ type: 'page', anonymous_id: 'a' }, { receivedAt: at, generateId: () => 'gen-1' });
    expect(r.ok && r.event.message_id).toBe('gen-1');
    expect(r.ok && r.event.timestamp).toBe(at.toISOString());
  });

  it('uses Segment originalTimestamp when timestamp is absent', () => {
    const r = parseEvent({ type: 'page', anonymous_id: 'a', originalTimestamp: '2025-01-01T00:00:00Z' }, { receivedAt: at });
    expect(r.ok && r.event.timestamp).toBe('2025-01-01T00:00:00Z');
  });

  it.each([
    [{ type: 'track', event: 'X' }, 'user_id', 'one of user_id'],
    [{ type: 'track', user_id: 'u' }, 'event', 'event name'],
    [{ type: 'track', event: 'X', user_id: 'u', timestamp: 'yesterday' }, 'timestamp', 'ISO 8601'],
    [{ type: 'alias', user_id: 'u' }, 'type', ''],
    [{ type: 'track', event: 'X', user_id: 'u', properties: [1, 2] }, 'properties', ''],
    [{ type: 'group', user_id: 'u' }, 'group_id', 'groupId'],
    [{ type: 'track', event: 'X', user_id: '' }, 'user_id', 'empty'],
  ])('rejects %j at %s', (input, path, text) => {
    const r = parseEvent(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const issue = r.issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(r.issues)).toBeDefined();
    expect(issue!.message).toContain(text);
  });

  it('rejects a type that contradicts the endpoint', () => {
    const r = parseEvent({ type: 'page', user_id: 'u' }, { type: 'track' });
    expect(r).toEqual({ ok: false, issues: [{ path: 'type', message: expect.stringContaining('"track"') }] });
  });

  it('rejects non-objects', () => {
    expect(parseEvent('hello')).toEqual({ ok: false, issues: [{ path: '(root)', message: 'an event must be a JSON object' }] });
  });

  it('keys users by user_id, else anonymous_id', () => {
    expect(userKeyOf({ user_id: 'u', anonymous_id: 'a' })).toBe('u');
    expect(userKeyOf({ anonymous_id: 'a' })).toBe('a');
  });
});

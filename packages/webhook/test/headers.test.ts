import { createIntegration, parseEvent } from '@signal/core';
import { describe, expect, it } from 'vitest';
import webhook from '../src/index.js';
import { headerValue } from '../src/encode.js';
import { deliver, event, useReceiver } from './receiver.js';

// Header values built from event data are always valid (issue #14), and header values
// may be templated with the URL's safe syntax (issue #13). Real HTTP requests to the fake receiver.
const receiver = useReceiver();
const url = 'https://hooks.example.com/signal';

/** Ids the collector accepts: any string of 1–200 characters. */
const hostileIds = [
  'line\r\nInjected-Header: 1',
  'nul\0byte',
  'emoji 🎉 and é',
  'tab\tand spaces  ',
  ' leading space',
  '100%25 literal percent',
  'lone \ud800 surrogate',
  '😀'.repeat(100),
  'x'.repeat(200),
];

/** What a lone surrogate becomes once encoded as UTF-8: U+FFFD. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

function acceptedEvent(messageId: string, extra: Record<string, unknown> = {}) {
  const parsed = parseEvent({ type: 'track', event: 'Order Completed', user_id: 'u1', messageId, ...extra });
  if (!parsed.ok) throw new Error(`the collector would refuse it: ${JSON.stringify(parsed.issues)}`);
  return parsed.event;
}

describe('x-signal-message-id', () => {
  it.each(hostileIds)('any accepted message_id (%j) is delivered, percent-encoded, and decodes back', async (id) => {
    const e = acceptedEvent(id);
    const { results } = await deliver({ url }, [e], receiver);
    expect(results).toEqual([{ status: 'delivered' }]);
    const received = receiver.requests[0]!.headers['x-signal-message-id']!;
    expect(received).toMatch(/^[\x21-\x7e]+$/);
    expect(decodeURIComponent(received)).toBe(wellFormed(id));
    expect(JSON.parse(receiver.requests[0]!.body).message_id).toBe(id);
  });

  it('a UUID message id is sent unchanged', async () => {
    const e = event({ type: 'track', event: 'X', user_id: 'u1', message_id: '3f2b8c1e-9d4a-4e6f-8a7b-1c2d3e4f5a6b' });
    await deliver({ url }, [e], receiver);
    expect(receiver.requests[0]!.headers['x-signal-message-id']).toBe('3f2b8c1e-9d4a-4e6f-8a7b-1c2d3e4f5a6b');
  });

  it('the same encoding goes into a signed webhook-id, and the signature covers it', async () => {
    const e = acceptedEvent('sig\r\nid');
    await deliver({ url, signing_secret: 'sig-secret-0123456789abcdefXYZ' }, [e], receiver);
    expect(receiver.requests[0]!.headers['webhook-id']).toBe('sig%0D%0Aid');
  });
});

describe('templated header values', () => {
  it('render per event with the URL’s syntax; literal headers stay as written', async () => {
    const e = event({ type: 'track', event: 'Order Completed', user_id: 'user 42/é', properties: { order_id: 'o-1' } });
    const { results } = await deliver({ url, headers: { 'X-User': 'u={{ user_id }}', 'X-Order': '{{ properties.order_id }}', 'X-Team': 'growth team', 'X-Missing': 'v={{ traits.nope }}' } }, [e], receiver);
    expect(results).toEqual([{ status: 'delivered' }]);
    const h = receiver.requests[0]!.headers;
    expect(h['x-user']).toBe('u=user%2042/%C3%A9');
    expect(h['x-order']).toBe('o-1');
    expect(h['x-team']).toBe('growth team');
    expect(h['x-missing']).toBe('v=');
  });

  it.each(hostileIds)('a value from the event (%j) always makes a valid header', async (value) => {
    const e = acceptedEvent('m-1', { properties: { note: value } });
    const { results } = await deliver({ url, headers: { 'X-Note': '{{ properties.note }}' } }, [e], receiver);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(decodeURIComponent(receiver.requests[0]!.headers['x-note']!)).toBe(wellFormed(value));
  });

  it('objects render as compact JSON, then encoded', async () => {
    const e = event({ type: 'track', event: 'X', user_id: 'u1', properties: { tags: ['a', 'b'] } });
    await deliver({ url, headers: { 'X-Tags': '{{ properties.tags }}' } }, [e], receiver);
    expect(receiver.requests[0]!.headers['x-tags']).toBe('["a","b"]');
  });

  it.each([
    [{ url, headers: { 'X-U': '{{ user_id' } }, /settings\.headers\.X-U: bad template: unclosed/],
    [{ url, headers: { 'X-U': '{{ user_id }}' }, batch: {} }, /settings\.headers\.X-U: a batch is one request/],
    [{ url, headers: { 'X-U': 'café' } }, /settings\.headers\.X-U: must be printable ASCII/],
    [{ url, headers: { 'X-U': 'a\nb' } }, /settings\.headers\.X-U: must not contain line breaks/],
  ])('%j is refused at settings time', (settings, message) => {
    expect(() => createIntegration(webhook, { settings })).toThrow(message);
  });
});

describe('headerValue', () => {
  it('keeps visible ASCII, percent-encodes the rest (space and % included) as UTF-8', () => {
    expect(headerValue('a-Z_0.9~!')).toBe('a-Z_0.9~!');
    expect(headerValue('a b%c\r\n\0é😀')).toBe('a%20b%25c%0D%0A%00%C3%A9%F0%9F%98%80');
    expect(headerValue('\ud800')).toBe('%EF%BF%BD');
  });
});

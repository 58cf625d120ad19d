import { createIntegration } from '@signal/core';
import { describe, expect, it } from 'vitest';
import webhook from '../src/index.js';
import { deliver, event, useReceiver } from './receiver.js';

const receiver = useReceiver();

const url = 'https://hooks.example.com/signal';

describe('body without data: the canonical event', () => {
  it('sends the event itself as JSON', async () => {
    const order = event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { revenue: 10, currency: 'USD' }, context: { ip: '203.0.113.9' } });
    await deliver({ url }, [order], receiver);
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({
      type: 'track',
      event: 'Order Completed',
      properties: { revenue: 10, currency: 'USD' },
      traits: {},
      user_id: 'u1',
      message_id: order.message_id,
      timestamp: '2025-06-06T09:00:00.000Z',
      received_at: '2025-06-06T09:00:01.000Z',
      context: { ip: '203.0.113.9' },
    });
  });

  it('applies the user mapping: track renamed, property renamed and omitted', async () => {
    const order = event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { revenue: 10, email: 'm@example.com' } });
    await deliver({ url }, [order], receiver, { events: { 'Order Completed': { to: 'purchase', rename: { revenue: 'value' }, omit: ['email'] } } });
    const body = JSON.parse(receiver.requests[0]!.body) as Record<string, unknown>;
    expect(body.event).toBe('purchase');
    expect(body.properties).toEqual({ value: 10 });
  });

  it('identify sends traits (after mapping)', async () => {
    const identify = event({ type: 'identify', user_id: 'u2', traits: { email: 'm@example.com', plan: 'gold' } });
    await deliver({ url }, [identify], receiver, { properties: { omit: ['email'] } });
    const body = JSON.parse(receiver.requests[0]!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'identify', user_id: 'u2', traits: { plan: 'gold' } });
  });

  it('events mapped to drop are not sent', async () => {
    const noisy = event({ type: 'track', event: 'Heartbeat', user_id: 'u1' });
    const kept = event({ type: 'page', name: 'Home', user_id: 'u1' });
    const { results } = await deliver({ url }, [noisy, kept], receiver, { events: { Heartbeat: 'drop' } });
    expect(results.map((r) => r.status)).toEqual(['dropped', 'delivered']);
    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ type: 'page', name: 'Home' });
  });
});

describe('data, method and headers', () => {
  it('typed values, mapped.* and literal numbers in JSON data', async () => {
    const order = event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { revenue: 10.5, items: [{ sku: 'A' }], coupon: null } });
    const data = { event: '{{ mapped.name }}', revenue: '{{ properties.revenue }}', items: '{{ properties.items }}', coupon: '{{ properties.coupon }}', label: 'rev {{ properties.revenue }}', missing: '{{ properties.nope }}', version: 2, live: true };
    await deliver({ url, data }, [order], receiver, { events: { 'Order Completed': 'purchase' } });
    expect(receiver.requests[0]!.body).toBe(
      JSON.stringify({ event: 'purchase', revenue: 10.5, items: [{ sku: 'A' }], coupon: null, label: 'rev 10.5', missing: '', version: 2, live: true }, null, 2),
    );
  });

  it('form bodies encode values by the x-www-form-urlencoded standard', async () => {
    const e = event({ type: 'track', event: 'Signed Up', user_id: 'u1', traits: {}, properties: { note: 'a&b=c d+é', n: 3 } });
    await deliver({ url, content_type: 'application/x-www-form-urlencoded', data: { note: '{{ properties.note }}', n: '{{ properties.n }}' } }, [e], receiver);
    expect(receiver.requests[0]!.body).toBe('note=a%26b%3Dc+d%2B%C3%A9&n=3');
    expect(Object.fromEntries(new URLSearchParams(receiver.requests[0]!.body))).toEqual({ note: 'a&b=c d+é', n: '3' });
  });

  it.each(['PUT', 'PATCH'] as const)('method %s', async (method) => {
    await deliver({ url, method }, [event({ type: 'track', event: 'X', user_id: 'u1' })], receiver);
    expect(receiver.requests[0]!.method).toBe(method);
  });

  it('sends custom headers, a message id header and the URL path templated per event', async () => {
    const e = event({ type: 'track', event: 'Order Completed', user_id: 'u 1', properties: { order_id: 'o/7' } });
    await deliver({ url: `${url}/orders/{{ properties.order_id }}?user={{ user_id }}`, headers: { 'X-Team': 'growth', 'X-Api-Key': 'k-123456' } }, [e], receiver);
    const req = receiver.requests[0]!;
    expect(req.path).toBe('/signal/orders/o%2F7?user=u%201');
    expect(req.headers['x-team']).toBe('growth');
    expect(req.headers['x-api-key']).toBe('k-123456');
    expect(req.headers['x-signal-message-id']).toBe(e.message_id);
  });

  it('transform is pure: same event, same record', () => {
    const integration = createIntegration(webhook, { settings: { url: `${url}/{{ user_id }}`, data: { a: '{{ properties.a }}' } } });
    const e = event({ type: 'track', event: 'X', user_id: 'u1', properties: { a: [1, 2] } });
    expect(integration.prepare(e)).toEqual(integration.prepare(e));
  });
});

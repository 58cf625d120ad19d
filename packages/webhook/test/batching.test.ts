import { describe, expect, it } from 'vitest';
import { deliver, event, useReceiver } from './receiver.js';

const receiver = useReceiver();

const url = 'https://hooks.example.com/signal';
const events = (n: number) => Array.from({ length: n }, (_, i) => event({ type: 'track', event: 'Order Completed', user_id: `u${i}`, properties: { i } }));

describe('batching', () => {
  it('is off by default: one request per event', async () => {
    await deliver({ url }, events(3), receiver);
    expect(receiver.requests).toHaveLength(3);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ properties: { i: 0 } });
  });

  it('sends JSON arrays of the per-event bodies, at most max_items each, in order', async () => {
    const { results } = await deliver({ url, batch: { max_items: 2 }, data: { i: '{{ properties.i }}', user: '{{ user_id }}' } }, events(5), receiver);
    expect(results.map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'delivered']);
    expect(receiver.requests.map((r) => JSON.parse(r.body))).toEqual([
      [{ i: 0, user: 'u0' }, { i: 1, user: 'u1' }],
      [{ i: 2, user: 'u2' }, { i: 3, user: 'u3' }],
      [{ i: 4, user: 'u4' }],
    ]);
    expect(receiver.requests[0]!.headers['x-signal-message-id']).toBeUndefined();
  });

  it('a failed batch gives every event in it the same result', async () => {
    let n = 0;
    receiver.respond(() => ({ status: ++n === 2 ? 503 : 200 }));
    const { results } = await deliver({ url, batch: { max_items: 2 } }, events(4), receiver);
    expect(results.map((r) => r.status)).toEqual(['delivered', 'delivered', 'retry', 'retry']);
  });

  it('respects max_bytes: no request body is larger', async () => {
    const big = Array.from({ length: 3 }, (_, i) => event({ type: 'track', event: 'Big', user_id: 'u1', properties: { pad: 'x'.repeat(700), i } }));
    await deliver({ url, batch: { max_items: 100, max_bytes: 1024 }, data: { pad: '{{ properties.pad }}' } }, big, receiver);
    expect(receiver.requests.map((r) => (JSON.parse(r.body) as unknown[]).length)).toEqual([1, 1, 1]);
  });

  it('max_bytes bounds the body even for events with many small keys', async () => {
    const wide = Array.from({ length: 12 }, (_, i) => event({ type: 'track', event: 'Wide', user_id: 'u1', properties: Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`k${k}`, i])) }));
    const { results } = await deliver({ url, batch: { max_items: 100, max_bytes: 4096 } }, wide, receiver);
    expect(results.every((r) => r.status === 'delivered')).toBe(true);
    expect(receiver.requests.length).toBeGreaterThan(1);
    for (const r of receiver.requests) expect(r.rawBody.length).toBeLessThanOrEqual(4096);
    expect(receiver.requests.flatMap((r) => r.json<{ properties: { k0: number } }[]>().map((e) => e.properties.k0))).toEqual(wide.map((_, i) => i));
  });
});

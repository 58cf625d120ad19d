import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { event, useRun } from './harness.js';

const run = useRun();

type Sent = { key: string; metricValue?: unknown; contextKeys: { user: string }; data: Record<string, unknown> };

describe('identify', () => {
  it('LaunchDarkly has no identify call: identify events are dropped and nothing is sent', async () => {
    expect(plugin.capabilities.identify).toBe(false);
    expect(Object.keys(plugin.presets['default']!.events ?? {})).not.toContain('identify');
    const { results } = await run.deliver([event({ type: 'identify', user_id: 'u1', traits: { email: 'a@example.com' } })]);
    expect(results).toHaveLength(1);
    expect(results[0]!.status).toBe('dropped');
    expect(run.vendor.requests).toHaveLength(0);
  });

  it('a mixed batch drops the identify and unmapped events and sends the rest, one result each, in order', async () => {
    const { results } = await run.deliver([
      event({ type: 'identify', user_id: 'u1' }),
      event({ type: 'track', event: 'Signed Up', user_id: 'u1' }),
      event({ type: 'track', event: 'Coupon Applied', user_id: 'u1' }),
      event({ type: 'page', user_id: 'u1', properties: { path: '/' } }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['dropped', 'delivered', 'dropped', 'delivered']);
    expect(run.vendor.requests[0]!.json<Sent[]>().map((e) => e.key)).toEqual(['sign_up', 'page_view']);
  });
});

describe('metricValue', () => {
  it('is left out entirely when the event has no revenue/value', async () => {
    await run.deliver([event({ type: 'track', event: 'Order Completed', properties: { order_id: 'O-1' } })]);
    const [sent] = run.vendor.requests[0]!.json<Sent[]>();
    expect(sent).not.toHaveProperty('metricValue');
    expect(Object.keys(sent!)).toEqual(['kind', 'key', 'creationDate', 'contextKeys', 'data']);
    expect(sent!.data).toEqual({ order_id: 'O-1' });
  });

  it('converts a numeric string ("89.99") to a number', async () => {
    await run.deliver([event({ type: 'track', event: 'Order Completed', properties: { revenue: '89.99' } })]);
    expect(run.vendor.requests[0]!.json<Sent[]>()[0]!.metricValue).toBe(89.99);
  });

  it('rejects only the event with a non-numeric value; the rest of the batch is delivered', async () => {
    const { results } = await run.deliver([
      event({ type: 'track', event: 'Order Completed', properties: { revenue: 'lots' } }),
      event({ type: 'track', event: 'Order Completed', properties: { revenue: 3 } }),
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'invalid_metric_value' });
    expect(results[1]).toEqual({ status: 'delivered' });
    expect(run.vendor.requests[0]!.json<Sent[]>().map((e) => e.metricValue)).toEqual([3]);
  });

  it('follows user mapping overrides (rename an event key, take metricValue from another property)', async () => {
    await run.deliver([event({ type: 'track', event: 'Order Completed', properties: { total: 20, revenue: 18 } })], {
      mapping: { events: { 'Order Completed': { to: 'purchase', fields: { metricValue: 'properties.total' } } } },
    });
    const [sent] = run.vendor.requests[0]!.json<Sent[]>();
    expect(sent).toMatchObject({ key: 'purchase', metricValue: 20, data: { revenue: 18 } });
    expect(sent!.data).not.toHaveProperty('total');
  });
});

describe('context key', () => {
  it('a rule can take contextKeys.user from another path when the SDK evaluates flags with another key', async () => {
    await run.deliver([event({ type: 'track', event: 'Signed Up', user_id: 'u1', properties: { account_id: 'acct-7' } })], {
      mapping: { events: { 'Signed Up': { to: 'sign_up', fields: { contextKey: 'properties.account_id' } } } },
    });
    const [sent] = run.vendor.requests[0]!.json<Sent[]>();
    expect(sent!.contextKeys).toEqual({ user: 'acct-7' });
    expect(sent!.data).toEqual({});
  });
});

describe('size', () => {
  it('rejects one event too large for a 10 MB body instead of letting it fail its whole batch', async () => {
    const { results } = await run.deliver([
      event({ type: 'track', event: 'Signed Up', properties: { blob: 'x'.repeat(10_000_000) } }),
      event({ type: 'track', event: 'Signed Up' }),
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'event_too_large' });
    expect(results[1]).toEqual({ status: 'delivered' });
    expect(run.vendor.requests).toHaveLength(1);
  });
});

describe('purity', () => {
  it('transform is deterministic: the same event gives the same record', () => {
    const e = event({ type: 'track', event: 'Order Completed', properties: { revenue: 1, currency: 'EUR' } });
    const mapped = { event: e, name: 'order_completed', fields: { metricValue: 1 }, properties: { currency: 'EUR' } };
    const ctx = { settings: {} as never, integrationId: 'ld' };
    expect(JSON.stringify(plugin.transform(mapped, ctx))).toBe(JSON.stringify(plugin.transform(mapped, ctx)));
  });
});

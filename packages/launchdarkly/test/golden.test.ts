import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { event, useRun, TOKEN } from './harness.js';

// The vendor doc, verbatim: the expected payload is read from it, not retyped.
const doc = readFileSync(new URL('./fixtures/launchdarkly-metric-import.txt', import.meta.url), 'utf8');
const docPayloadText = doc.slice(doc.indexOf('Resulting payload delivered to LaunchDarkly:') + 'Resulting payload delivered to LaunchDarkly:'.length, doc.indexOf('For numeric metrics'));
const docPayload = JSON.parse(docPayloadText) as unknown[];
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const run = useRun();

describe('golden: the doc example (datafly.track("Order Completed", …))', () => {
  const orderCompleted = () =>
    event({
      type: 'track',
      event: 'Order Completed',
      anonymous_id: 'a1b2c3d4-anonymous-id',
      timestamp: new Date(1749200000000).toISOString(),
      properties: { order_id: 'ORD-1001', revenue: 89.99, currency: 'GBP' },
    });

  it('sends the documented payload byte for byte', async () => {
    const { results } = await run.deliver([orderCompleted()]);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(run.vendor.requests).toHaveLength(1);
    const received = run.vendor.requests[0]!;
    expect(received.body).toBe(JSON.stringify(docPayload));
    expect(received.json()).toEqual(docPayload);
  });

  it('posts to the documented endpoint with the documented headers', async () => {
    await run.deliver([orderCompleted()]);
    const received = run.vendor.requests[0]!;
    expect(received.method).toBe('POST');
    expect(received.path).toBe('/v2/event-data-import/default/production');
    expect(received.headers['authorization']).toBe(TOKEN);
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.headers['x-launchdarkly-event-schema']).toBe('4');
    expect(received.headers['user-agent']).toBe(`MetricImport-Signal-int/${version}`);
    expect(received.headers['content-encoding']).toBeUndefined();
    expect(received.headers['x-launchdarkly-payload-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('golden: the Default preset table', () => {
  // Transcribed from the doc's "Event Mapping" table: Signal event, event key, metricValue source.
  const table: [string, string, 'value' | 'revenue' | undefined][] = [
    ['page', 'page_view', undefined],
    ['Signed Up', 'sign_up', undefined],
    ['Product Viewed', 'product_viewed', 'value'],
    ['Product Added', 'add_to_cart', 'value'],
    ['Checkout Started', 'begin_checkout', 'value'],
    ['Order Completed', 'order_completed', 'revenue'],
  ];

  it.each(table)('%s → %s (metricValue from %s)', async (signalEvent, key, source) => {
    const properties = { value: 12.5, revenue: 40, sku: 'SKU-1' };
    const input = signalEvent === 'page' ? event({ type: 'page', name: 'Home', properties }) : event({ type: 'track', event: signalEvent, properties });
    const { results } = await run.deliver([input]);
    expect(results).toEqual([{ status: 'delivered' }]);
    const [sent] = run.vendor.requests[0]!.json<Record<string, unknown>[]>();
    const data: Record<string, unknown> = { ...properties };
    if (source !== undefined) delete data[source];
    const expected = {
      kind: 'custom',
      key,
      creationDate: 1749200000000,
      ...(source === undefined ? {} : { metricValue: properties[source] }),
      contextKeys: { user: 'anon-1' },
      data,
    };
    // Exact key order too: compare the serialisation, not just the object.
    expect(JSON.stringify(sent)).toBe(JSON.stringify(expected));
    if (source === undefined) expect(sent).not.toHaveProperty('metricValue');
  });

  it('uses user_id as the context key when the visitor is identified, anonymous_id otherwise', async () => {
    await run.deliver([
      event({ type: 'track', event: 'Signed Up', user_id: 'user-42', anonymous_id: 'anon-9' }),
      event({ type: 'track', event: 'Signed Up', anonymous_id: 'anon-9' }),
    ]);
    const sent = run.vendor.requests[0]!.json<{ contextKeys: unknown }[]>();
    expect(sent.map((e) => e.contextKeys)).toEqual([{ user: 'user-42' }, { user: 'anon-9' }]);
  });

  it('converts the ISO timestamp to epoch milliseconds (creationDate), honouring the offset', async () => {
    await run.deliver([event({ type: 'track', event: 'Signed Up', timestamp: '2025-06-06T10:53:20.123+02:00' })]);
    const [sent] = run.vendor.requests[0]!.json<{ creationDate: unknown }[]>();
    expect(sent!.creationDate).toBe(1749200000123);
  });

  it('sends one array per batch, one element per event, in order', async () => {
    const events = ['Signed Up', 'Order Completed', 'Product Added'].map((name) => event({ type: 'track', event: name }));
    const { results } = await run.deliver(events);
    expect(results).toEqual(events.map(() => ({ status: 'delivered' })));
    expect(run.vendor.requests).toHaveLength(1);
    expect(run.vendor.requests[0]!.json<{ key: string }[]>().map((e) => e.key)).toEqual(['sign_up', 'order_completed', 'add_to_cart']);
  });
});

import { createIntegration } from '@signal/core';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { payloadIdOf } from '../src/request.js';
import { event, settings, useRun } from './harness.js';

const run = useRun();

describe('gzip for large bodies', () => {
  it('gzips a body over 64 KB, and the vendor decodes the right array', async () => {
    // ~100 events of ~1 KB each: well over the 64 KB threshold.
    const events = Array.from({ length: 100 }, (_, i) =>
      event({ type: 'track', event: 'Order Completed', user_id: `u${i}`, properties: { revenue: i, note: 'x'.repeat(1000) } }),
    );
    const { results, exchanges } = await run.deliver(events);
    expect(results.every((r) => r.status === 'delivered')).toBe(true);
    expect(run.vendor.requests).toHaveLength(1);
    const received = run.vendor.requests[0]!;
    expect(received.headers['content-encoding']).toBe('gzip');
    expect(received.rawBody.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(received.rawBody.length).toBeLessThan(Buffer.byteLength(received.body) / 10);
    const sent = received.json<{ key: string; metricValue: number; contextKeys: { user: string }; data: { note: string } }[]>();
    expect(sent).toHaveLength(100);
    expect(sent.map((e) => e.contextKeys.user)).toEqual(events.map((e) => e.user_id));
    expect(sent.map((e) => e.metricValue)).toEqual(events.map((_, i) => i));
    expect(sent[99]!.data.note).toHaveLength(1000);
    expect(exchanges[0]!.request.headers['Content-Encoding']).toBe('gzip');
  });

  it('sends small bodies as plain JSON text', async () => {
    await run.deliver([event({ type: 'track', event: 'Signed Up' })]);
    expect(run.vendor.requests[0]!.headers['content-encoding']).toBeUndefined();
    expect(run.vendor.requests[0]!.rawBody.toString('utf8')).toBe(run.vendor.requests[0]!.body);
  });
});

describe('X-LaunchDarkly-Payload-ID', () => {
  it('is a UUID derived from the batch’s records in order: same batch → same id, different batch → different id', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const batch = (...ids: string[]) => ids.map((messageId) => ({ messageId, record: { key: 'k' } }));
    expect(payloadIdOf(batch('a', 'b'))).toMatch(uuid);
    expect(payloadIdOf(batch('a', 'b'))).toBe(payloadIdOf(batch('a', 'b')));
    expect(payloadIdOf(batch('a', 'b'))).not.toBe(payloadIdOf(batch('b', 'a')));
    expect(payloadIdOf(batch('a', 'b'))).not.toBe(payloadIdOf(batch('a')));
    // Length-prefixed, so moving a boundary between ids changes the id.
    expect(payloadIdOf(batch('ab', 'c'))).not.toBe(payloadIdOf(batch('a', 'bc')));
    // The records count too: the same ids carrying other content are another payload.
    expect(payloadIdOf([{ messageId: 'a', record: { key: 'k', metricValue: 1 } }])).not.toBe(payloadIdOf([{ messageId: 'a', record: { key: 'k', metricValue: 2 } }]));
  });

  it('is reused when the same batch is retried, and differs for another batch', async () => {
    const batch = [event({ type: 'track', event: 'Signed Up' }), event({ type: 'track', event: 'Order Completed', properties: { revenue: 5 } })];
    run.vendor.respond(() => ({ status: 503 }));
    const first = await run.deliver(batch);
    expect(first.results.map((r) => r.status)).toEqual(['retry', 'retry']);
    run.vendor.respond(() => ({ status: 202 }));
    const second = await run.deliver(batch);
    expect(second.results.map((r) => r.status)).toEqual(['delivered', 'delivered']);
    await run.deliver([event({ type: 'track', event: 'Signed Up' })]);
    const ids = run.vendor.requests.map((r) => r.headers['x-launchdarkly-payload-id']);
    expect(ids).toHaveLength(3);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });
});

describe('endpoint', () => {
  const urlFor = (overrides: Record<string, string>) => {
    const integration = createIntegration(plugin, { settings: { ...settings, ...overrides } });
    const prepared = integration.prepare(event({ type: 'track', event: 'Signed Up' }));
    if (prepared.outcome !== 'send') throw new Error('expected a record');
    return plugin.buildRequest([prepared.outgoing as never], {
      settings: integration.settings as never,
      integrationId: 'ld',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      now: () => 0,
    }).url;
  };

  it('defaults to events.launchdarkly.com and uses the EU / US-federal cells when set', () => {
    expect(urlFor({})).toBe('https://events.launchdarkly.com/v2/event-data-import/default/production');
    expect(urlFor({ events_host: 'events.eu.launchdarkly.com' })).toBe('https://events.eu.launchdarkly.com/v2/event-data-import/default/production');
    expect(urlFor({ events_host: 'events.launchdarkly.us' })).toBe('https://events.launchdarkly.us/v2/event-data-import/default/production');
  });

  it('path-encodes the project and environment keys', async () => {
    await run.deliver([event({ type: 'track', event: 'Signed Up' })], {
      settings: { ...settings, project_key: 'my proj/x', environment_key: 'prod?#' },
    });
    expect(run.vendor.requests[0]!.path).toBe('/v2/event-data-import/my%20proj%2Fx/prod%3F%23');
  });
});

describe('batching limits', () => {
  it('keeps each request under 10 MB and 1000 events', () => {
    const integration = createIntegration(plugin, { settings });
    expect(integration.limits.maxBatchItems).toBe(1000);
    expect(integration.limits.maxBatchBytes! + integration.limits.maxBatchItems + 2).toBeLessThan(10_000_000);
    const records = Array.from({ length: 2500 }, (_, i) => {
      const prepared = integration.prepare(event({ type: 'track', event: 'Signed Up', user_id: `u${i}` }), i);
      if (prepared.outcome !== 'send') throw new Error('expected a record');
      return prepared.outgoing;
    });
    expect(integration.chunk(records).map((c) => c.length)).toEqual([1000, 1000, 500]);
  });
});

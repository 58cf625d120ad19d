import { createHttpClient, createIntegration, deliverAll, type Outgoing, type SignalEvent } from '@signal/core';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { event, settings, useRun } from './harness.js';

// The plugin side of the engine capabilities LaunchDarkly declares (issue #13):
// idempotentBatches (the payload id is a pure function of the batch) and
// bisectRejectedBatches (a whole-batch 400 is `rejected` for every record).
const run = useRun();

/** What the engine holds between attempts: the events as stored (a JSON round trip), prepared again by a fresh integration. */
function prepareFresh(events: SignalEvent[]): Outgoing[] {
  const integration = createIntegration(plugin, { settings });
  return (JSON.parse(JSON.stringify(events)) as SignalEvent[]).map((e, i) => {
    const prepared = integration.prepare(e, i);
    if (prepared.outcome !== 'send') throw new Error(`expected a record: ${JSON.stringify(prepared)}`);
    return prepared.outgoing;
  });
}

async function sendBatch(outgoing: Outgoing[]) {
  return createIntegration(plugin, { settings }).send(outgoing, run.vendor.http);
}

const ids = () => run.vendor.requests.map((r) => r.headers['x-launchdarkly-payload-id']);

describe('capabilities', () => {
  it('declares idempotentBatches and bisectRejectedBatches', () => {
    expect(plugin.capabilities).toMatchObject({ batching: true, idempotentBatches: true, bisectRejectedBatches: true });
  });
});

describe('idempotent batches: the payload id is a pure function of the batch', () => {
  const batch = () => [
    event({ type: 'track', event: 'Signed Up', message_id: 'm-a' }),
    event({ type: 'track', event: 'Order Completed', message_id: 'm-b', properties: { revenue: 5 } }),
  ];

  it('the same records, prepared again from storage by another integration instance at another time, carry the same id', async () => {
    const first = await sendBatch(prepareFresh(batch()));
    const second = await sendBatch(prepareFresh(batch()));
    expect([first.results, second.results].flat().map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect(ids()[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids()[1]).toBe(ids()[0]);
  });

  it.each([
    ['a timeout', { fault: 'timeout' as const }],
    ['a connection reset', { fault: 'reset' as const }],
    ['HTTP 503', { status: 503 }],
  ])('after %s every record is retry, and the retried batch (same records) repeats the id', async (_, failure) => {
    let calls = 0;
    run.vendor.respond(() => (calls++ === 0 ? failure : { status: 202 }));
    const http = createHttpClient({ hostOverrides: { '*': run.vendor.url }, timeoutMs: 300 });
    try {
      const integration = createIntegration(plugin, { settings });
      const first = await integration.send(prepareFresh(batch()), http);
      expect(first.results.map((r) => r.status)).toEqual(['retry', 'retry']);
      const second = await integration.send(prepareFresh(batch()), http);
      expect(second.results.map((r) => r.status)).toEqual(['delivered', 'delivered']);
    } finally {
      await http.close();
    }
    expect(ids()).toHaveLength(2);
    expect(ids()[1]).toBe(ids()[0]);
  });

  it('another set of records (one more event, another order, or other content) is another payload', async () => {
    const [a, b] = prepareFresh(batch());
    const [c] = prepareFresh([event({ type: 'track', event: 'Signed Up', message_id: 'm-c' })]);
    const [b2] = prepareFresh([event({ type: 'track', event: 'Order Completed', message_id: 'm-b', properties: { revenue: 6 } })]);
    for (const outgoing of [[a!, b!], [a!, b!, c!], [b!, a!], [a!, b2!]]) await sendBatch(outgoing);
    expect(new Set(ids()).size).toBe(4);
  });
});

describe('a whole-batch 400 (so the engine can bisect it)', () => {
  const bad = 'Bad Event';
  // LaunchDarkly refuses the whole array when one event in it is malformed.
  const refusesBatchesWithBad = () =>
    run.vendor.respond((req) =>
      req.json<{ key: string }[]>().some((e) => e.key === bad) ? { status: 400, body: { code: 'invalid_request', message: 'event 1 is malformed' } } : { status: 202 },
    );
  const events = () => [
    event({ type: 'track', event: 'Signed Up', message_id: 'g1' }),
    event({ type: 'track', event: 'Trial Started', message_id: 'x1' }),
    event({ type: 'track', event: 'Order Completed', message_id: 'g2', properties: { revenue: 1 } }),
  ];
  const mapping = { events: { 'Trial Started': bad } };

  it('is rejected for each record of the batch, with LaunchDarkly’s message', async () => {
    refusesBatchesWithBad();
    const { results } = await deliverAll(createIntegration(plugin, { settings, mapping }), events(), run.vendor.http);
    expect(run.vendor.requests).toHaveLength(1);
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r).toMatchObject({ status: 'rejected', code: 'http_400' });
      expect(r.status === 'rejected' && r.message).toContain('event 1 is malformed');
    }
  });

  it('sent again record by record (where the engine’s halving ends), only the bad record ends rejected', async () => {
    refusesBatchesWithBad();
    const integration = createIntegration(plugin, { settings, mapping });
    const outgoing = events().map((e, i) => {
      const p = integration.prepare(e, i);
      if (p.outcome !== 'send') throw new Error('expected send');
      return p.outgoing;
    });
    const halves = [outgoing.slice(0, 1), outgoing.slice(1, 2), outgoing.slice(2)];
    const results = [];
    for (const half of halves) results.push(...(await integration.send(half, run.vendor.http)).results);
    expect(results.map((r) => r.status)).toEqual(['delivered', 'rejected', 'delivered']);
  });
});

import { createIntegration } from '@signal/core';
import { useFakeVendor } from '@signal/core/testkit';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { deliver, event, ok, settings, type RecordedRequest } from './fixtures.js';

// Beyond the doc: action=multi batching (DESIGN.md vendor facts), off by default.
const fake = useFakeVendor(ok);

const batchSettings = { ...settings, batch: true };
const actions = (req: RecordedRequest) => (JSON.parse(req.body) as { data: Record<string, unknown>[] }).data;

describe('multi batching', () => {
  it('is off by default: one request per event', async () => {
    const events = [event({ type: 'track', event: 'Logged In', user_id: 'a' }), event({ type: 'track', event: 'Logged In', user_id: 'b' })];
    await deliver(fake, events);
    expect(fake.requests.map((r) => r.query['action'])).toEqual(['track', 'track']);
  });

  it('sends several actions in one action=multi JSON call, one result per action in order', async () => {
    fake.respond(() => ({
      status: 200,
      body: { response: [{ success: true }, { success: false, error: { message: 'Invalid event name.' } }, { success: true, warning: { message: 'User not found; request skipped.' } }] },
    }));
    const events = [
      event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { revenue: 10, currency: 'EUR', tax: 1.5 } }),
      event({ type: 'track', event: 'Logged In', anonymous_id: 'anon-2', timestamp: '2025-06-06T09:00:01.250Z' }),
      event({ type: 'identify', user_id: 'u1', traits: { email: 'a@example.com', plan: 'pro', age: 31 } }),
    ];
    const { results } = await deliver(fake, events, { settings: batchSettings });
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.path).toBe('/api?action=multi');
    expect(req.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['appId', 'clientKey', 'apiVersion', 'time', 'data']);
    expect(body).toMatchObject({ appId: 'app_XXXX', clientKey: 'prod_XXXX', apiVersion: '1.0.6' });
    expect(typeof body['time']).toBe('number');
    expect(actions(req)).toEqual([
      { action: 'track', userId: 'u1', event: 'Purchase', time: 1749200400, value: 10, currencyCode: 'EUR', params: { tax: '1.50' } },
      { action: 'track', deviceId: 'anon-2', event: 'Login', time: 1749200401.25 },
      { action: 'setUserAttributes', userId: 'u1', userAttributes: { email: 'a@example.com', plan: 'pro', age: 31 } },
    ]);
    expect(results).toEqual([
      { status: 'delivered' },
      { status: 'rejected', code: 'leanplum_error', message: 'Leanplum: Invalid event name.' },
      { status: 'delivered', warning: 'User not found; request skipped.' },
    ]);
  });

  it('a multi call refused as a whole (one failure for many actions) fails every action', async () => {
    fake.respond(() => ({ status: 200, body: { response: [{ success: false, error: { message: 'Too many actions.' } }] } }));
    const events = [event({ type: 'track', event: 'Logged In', user_id: 'a' }), event({ type: 'track', event: 'Logged In', user_id: 'b' })];
    const { results } = await deliver(fake, events, { settings: batchSettings });
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('actions with no entry in the response are retried (never assumed delivered)', async () => {
    const events = [event({ type: 'track', event: 'Logged In', user_id: 'a' }), event({ type: 'track', event: 'Logged In', user_id: 'b' })];
    fake.respond(() => ({ status: 200, body: { response: [{ success: true }, null] } }));
    const { results } = await deliver(fake, events, { settings: batchSettings });
    expect(results.map((r) => r.status)).toEqual(['delivered', 'retry']);
  });

  it('a 403 on a multi call is auth, and its message mentions the multi limits', async () => {
    fake.respond(() => ({ status: 403, body: '' }));
    const events = [event({ type: 'track', event: 'Logged In', user_id: 'a' }), event({ type: 'track', event: 'Logged In', user_id: 'b' })];
    const { results } = await deliver(fake, events, { settings: batchSettings });
    expect(results[0]).toMatchObject({ status: 'auth' });
    expect((results[0] as { message: string }).message).toMatch(/50 users or 500 actions/);
  });

  it('never builds a call over 500 actions or 50 distinct users', async () => {
    const integration = createIntegration(plugin, { settings: batchSettings });
    expect(integration.limits).toMatchObject({ maxBatchItems: 500, maxDistinctUsers: 50 });
    const many = Array.from({ length: 120 }, (_, i) => event({ type: 'track', event: 'Logged In', user_id: `user-${i % 60}`, message_id: `m${i}` }));
    const outgoing = many.map((e, i) => {
      const prepared = integration.prepare(e, i);
      if (prepared.outcome !== 'send') throw new Error('expected send');
      return prepared.outgoing;
    });
    const chunks = integration.chunk(outgoing);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(500);
      expect(new Set(chunk.map((o) => o.userKey)).size).toBeLessThanOrEqual(50);
    }
    expect(chunks.flat().map((o) => o.index)).toEqual(many.map((_, i) => i));
  });

  it('without batching the limit is one action per request', () => {
    expect(createIntegration(plugin, { settings }).limits.maxBatchItems).toBe(1);
  });
});

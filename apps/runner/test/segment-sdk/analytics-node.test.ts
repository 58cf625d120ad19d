import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectVendorFields, startSdkRunner, type SdkRunner } from './sdk-runner.js';

// Segment's own Node SDK, unmodified, pointed at Signal's collector. The fake vendors'
// recorded requests are the oracle for what reached Leanplum, CleverTap and the webhook.
const WRITE_KEY = 'segment-sdk-write-key';
let sdk: SdkRunner;

beforeAll(async () => {
  sdk = await startSdkRunner(WRITE_KEY);
});
afterAll(async () => {
  await sdk?.stop();
});

describe('@segment/analytics-node pointed at the collector', () => {
  it('identify, track and page reach the vendors with the right fields', async () => {
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: sdk.runner.url, path: '/v1/batch', flushAt: 1, maxRetries: 0 });
    const errors: unknown[] = [];
    const responses: number[] = [];
    analytics.on('error', (e) => errors.push(e));
    analytics.on('http_request', () => responses.push(1));

    const user = 'sdk-user-1';
    analytics.identify({ userId: user, messageId: 'sdk-identify-1', traits: { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' } });
    analytics.track({
      userId: user,
      messageId: 'sdk-track-1',
      event: 'Order Completed',
      properties: { order_id: `${user}-o-1`, revenue: 42.5, currency: 'EUR', products: [{ product_id: 'p-1', price: 42.5, quantity: 1 }] },
    });
    analytics.page({ userId: user, messageId: 'sdk-page-1', name: 'Pricing', properties: { url: 'https://shop.example.com/pricing', path: '/pricing' } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);
    expect(responses.length).toBeGreaterThan(0);

    const ids = { identify: 'sdk-identify-1', track: 'sdk-track-1', page: 'sdk-page-1' };
    for (const id of Object.values(ids)) await sdk.settled(id);
    expect(sdk.webhookBody(ids.track)['context']).toMatchObject({ library: { name: '@segment/analytics-node' } });
    expectVendorFields(sdk, ids, user, 'ada@example.com');
  });
});

import Analytics from '@rudderstack/rudder-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectVendorFields, startSdkRunner, type SdkRunner } from './sdk-runner.js';

// RudderStack's Node SDK, unmodified, pointed at Signal's collector (its data plane URL).
// With its defaults it gzips every batch (Content-Encoding: gzip, and axios labels the gzipped
// JSON Content-Type: application/x-www-form-urlencoded): the collector must decode it and read
// it as JSON, or the SDK gets 415 and drops the events. `gzip: false` is the uncompressed path. It also sends RudderStack's own fields (originalTimestamp, channel,
// _metadata, a batch-level sentAt), which the collector must accept.
const WRITE_KEY = 'rudder-sdk-write-key';
let sdk: SdkRunner;

beforeAll(async () => {
  sdk = await startSdkRunner(WRITE_KEY);
});
afterAll(async () => {
  await sdk?.stop();
});

/** messageId is accepted by the SDK (it keeps one it is given) but missing from its typings. */
type WithMessageId<T> = T & { messageId: string };

const variants: { name: string; options: { gzip?: boolean }; user: string }[] = [
  { name: 'with its defaults (gzip on)', options: {}, user: 'rudder-gzip-user' },
  { name: 'with gzip: false', options: { gzip: false }, user: 'rudder-plain-user' },
];

describe('@rudderstack/rudder-sdk-node pointed at the collector', () => {
  for (const { name, options, user } of variants) {
    it(`${name}: identify, track and page reach the vendors with the right fields`, async () => {
      const errors: unknown[] = [];
      const client = new Analytics(WRITE_KEY, {
        dataPlaneUrl: sdk.runner.url,
        flushAt: 2,
        flushInterval: 200,
        logLevel: 'error',
        errorHandler: (e) => errors.push((e as { response?: { status?: number } })?.response?.status ?? e),
        ...options,
      });
      const ids = { identify: `${user}-identify`, track: `${user}-track`, page: `${user}-page` };
      const email = `${user}@example.com`;
      client.identify({ userId: user, messageId: ids.identify, traits: { email, name: 'Ada Lovelace', plan: 'pro' } } as WithMessageId<Parameters<typeof client.identify>[0]>);
      client.track({
        userId: user,
        messageId: ids.track,
        event: 'Order Completed',
        properties: { order_id: `${user}-o-1`, revenue: 42.5, currency: 'EUR', products: [{ product_id: 'p-1', price: 42.5, quantity: 1 }] },
      } as WithMessageId<Parameters<typeof client.track>[0]>);
      client.page({ userId: user, messageId: ids.page, name: 'Pricing', properties: { url: 'https://shop.example.com/pricing', path: '/pricing' } } as WithMessageId<Parameters<typeof client.page>[0]>);
      await client.flush();
      // flush() sends one batch; the rest goes out on the flush interval.
      await client.flush();
      expect(errors).toEqual([]);

      for (const id of Object.values(ids)) await sdk.settled(id);
      expect(sdk.webhookBody(ids.track)['context']).toMatchObject({ library: { name: 'analytics-node' } });
      expectVendorFields(sdk, ids, user, email);
    });
  }
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deliver, event, settings } from './harness.js';

// The CleverTap doc's "Example: Purchase Event", copied verbatim.
const docPayloadText = readFileSync(new URL('./fixtures/purchase-payload.json', import.meta.url), 'utf8');

// The doc's calls: datafly.identify("user-123", { email }) then datafly.track("Order Completed", {...}).
const identifyCall = { type: 'identify', user_id: 'user-123', traits: { email: 'jane.doe@example.com' } };
const orderCompleted = {
  type: 'track',
  event: 'Order Completed',
  user_id: 'user-123',
  timestamp: new Date(1706540000 * 1000).toISOString(),
  // What the runner's spool remembers from the identify call above.
  context: { traits: { email: 'jane.doe@example.com' } },
  properties: {
    order_id: 'ORD-001',
    revenue: 129.99,
    currency: 'USD',
    products: [
      { product_id: 'SKU-A', name: 'Widget', price: 49.99, quantity: 2 },
      { product_id: 'SKU-B', name: 'Gadget', price: 30.01, quantity: 1 },
    ],
  },
};

describe('CleverTap doc examples (golden)', () => {
  it('Order Completed → the doc’s Charged payload, same values, types and key order', async () => {
    const { requests, results } = await deliver([event(orderCompleted)]);
    expect(requests).toHaveLength(1);
    const body = requests[0]!.body;
    expect(JSON.parse(body)).toStrictEqual(JSON.parse(docPayloadText));
    // Byte for byte: the doc's payload without its pretty-printing whitespace.
    expect(body).toBe(JSON.stringify(JSON.parse(docPayloadText)));
    expect(results).toEqual([{ status: 'delivered' }]);
  });

  it('POSTs to /1/upload with the doc’s three headers', async () => {
    const { requests } = await deliver([event(orderCompleted)]);
    const req = requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/1/upload');
    expect(req.headers['x-clevertap-account-id']).toBe(settings.account_id);
    expect(req.headers['x-clevertap-passcode']).toBe(settings.passcode);
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('the doc’s clean response { status: success, processed: 1, unprocessed: [] } → delivered', async () => {
    const { results } = await deliver([event(orderCompleted)], () => ({ status: 200, body: { status: 'success', processed: 1, unprocessed: [] } }));
    expect(results).toEqual([{ status: 'delivered' }]);
  });

  it('the doc’s identify call → a profile record keyed on the email identity', async () => {
    const { records } = await deliver([event(identifyCall)]);
    expect(records).toEqual([{ type: 'profile', identity: 'jane.doe@example.com', ts: 1706540000, profileData: { Email: 'jane.doe@example.com' } }]);
    expect(Object.keys(records[0]!)).toEqual(['type', 'identity', 'ts', 'profileData']);
  });

  it('the Default preset table: each Signal event arrives under its CleverTap name', async () => {
    const table: [Record<string, unknown>, string][] = [
      [{ type: 'page', name: 'Home' }, 'Web Page Viewed'],
      [{ type: 'track', event: 'Products Searched' }, 'Searched'],
      [{ type: 'track', event: 'Product Viewed' }, 'Product Viewed'],
      [{ type: 'track', event: 'Product Added to Wishlist' }, 'Added to Wishlist'],
      [{ type: 'track', event: 'Product Added' }, 'Added to Cart'],
      [{ type: 'track', event: 'Checkout Started' }, 'Checkout Started'],
      [{ type: 'track', event: 'Order Completed' }, 'Charged'],
      [{ type: 'track', event: 'Signed Up' }, 'Signed Up'],
      [{ type: 'track', event: 'Logged In' }, 'Logged In'],
    ];
    const { records, results } = await deliver(table.map(([input]) => event({ user_id: 'u1', ...input })));
    expect(records.map((r) => r['evtName'])).toEqual(table.map(([, name]) => name));
    expect(results.every((r) => r.status === 'delivered')).toBe(true);
  });
});

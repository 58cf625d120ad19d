import { useFakeVendor } from '@signal/core/testkit';
import { describe, expect, it } from 'vitest';
import { deliver, event, form, ok } from './fixtures.js';

// Examples from /work/shared/vendor-docs/leanplum-track.txt, reproduced exactly.
const fake = useFakeVendor(ok);

describe('Leanplum doc: "Example: a purchase"', () => {
  const purchase = event({
    type: 'track',
    event: 'Order Completed',
    user_id: 'u_55021',
    timestamp: '2025-06-06T09:00:00Z',
    properties: { order_id: 'ORD-10423', revenue: 79.99, currency: 'USD', tax: 6.4, shipping: 4.99, coupon: 'SUMMER10' },
  });

  it('sends the documented request, field for field and in order', async () => {
    const { results } = await deliver(fake, [purchase]);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/api?action=track&appId=app_XXXX&clientKey=prod_XXXX&apiVersion=1.0.6');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form(req)).toEqual([
      ['userId', 'u_55021'],
      ['event', 'Purchase'],
      ['value', '79.99'],
      ['currencyCode', 'USD'],
      ['time', '1749200400'],
      ['params', '{"order_id":"ORD-10423","tax":"6.40","shipping":"4.99","coupon":"SUMMER10"}'],
    ]);
  });

  it('encodes the body as standard form-urlencoding of exactly those fields', async () => {
    await deliver(fake, [purchase]);
    const expected =
      'userId=u_55021&event=Purchase&value=79.99&currencyCode=USD&time=1749200400' +
      '&params=%7B%22order_id%22%3A%22ORD-10423%22%2C%22tax%22%3A%226.40%22%2C%22shipping%22%3A%224.99%22%2C%22coupon%22%3A%22SUMMER10%22%7D';
    expect(fake.requests[0]!.body).toBe(expected);
  });
});

describe('Leanplum doc: "Event Mapping" table (Retail preset)', () => {
  const table: [string, string][] = [
    ['Products Searched', 'Search'],
    ['Product Viewed', 'Product Viewed'],
    ['Product Added', 'Add to Cart'],
    ['Checkout Started', 'Checkout Started'],
    ['Order Completed', 'Purchase'],
    ['Signed Up', 'Sign Up'],
    ['Logged In', 'Login'],
  ];

  it.each(table)('%s → %s', async (signalName, leanplumName) => {
    const { results } = await deliver(fake, [event({ type: 'track', event: signalName, user_id: 'u1' })]);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(new URLSearchParams(fake.requests[0]!.body).get('event')).toBe(leanplumName);
  });

  it('page → page, keeping the page name in params', async () => {
    await deliver(fake, [event({ type: 'page', name: 'Home', user_id: 'u1', properties: { path: '/' } })]);
    expect(form(fake.requests[0]!)).toEqual([
      ['userId', 'u1'],
      ['event', 'page'],
      ['time', '1749200400'],
      ['params', '{"path":"/","name":"Home"}'],
    ]);
  });

  it('any event not in the map is dropped and never sent', async () => {
    const { results } = await deliver(fake, [event({ type: 'track', event: 'Coupon Applied', user_id: 'u1' })]);
    expect(results[0]!.status).toBe('dropped');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('Segment-spec orders with line items', () => {
  it('leaves the products array out of Purchase instead of rejecting the order', async () => {
    const { createIntegration, parseEvent } = await import('@signal/core');
    const { default: leanplum } = await import('../src/index.js');
    const parsed = parseEvent({ type: 'track', event: 'Order Completed', user_id: 'u1', timestamp: '2025-06-06T09:00:00Z', properties: { order_id: 'o-1', revenue: 10, currency: 'EUR', products: [{ product_id: 'p', price: 10 }] } });
    if (!parsed.ok) throw new Error('fixture');
    const prepared = createIntegration(leanplum, { settings: { app_id: 'app_1', client_key: 'prod_key_1234' } }).prepare(parsed.event);
    expect(prepared).toMatchObject({ outcome: 'send', outgoing: { record: { event: 'Purchase', value: 10, currencyCode: 'EUR', params: { order_id: 'o-1' } } } });
  });
});

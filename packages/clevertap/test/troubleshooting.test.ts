import { describe, expect, it } from 'vitest';
import { deliver, event, refusing, settings } from './harness.js';

// One test (or group) per row of the CleverTap doc's Troubleshooting table.
const track = (extra: Record<string, unknown> = {}) => event({ type: 'track', event: 'Product Viewed', user_id: 'u1', properties: { sku: 'A' }, ...extra });

describe('troubleshooting: 401 Unauthorized', () => {
  it('→ auth for every record, telling the user to check credentials and region', async () => {
    const { results } = await deliver([track(), track()], () => ({ status: 401, body: { status: 'fail', error: 'Invalid Credentials' } }));
    expect(results.map((r) => r.status)).toEqual(['auth', 'auth']);
    const message = results[0]!.status === 'auth' ? results[0]!.message : '';
    expect(message).toMatch(/account_id and passcode/);
    expect(message).toMatch(/region eu1/);
    expect(message).toMatch(/wrong region looks like bad credentials/);
    expect(message).toContain('Invalid Credentials');
  });
});

describe('troubleshooting: events stored under a new/empty profile (identity)', () => {
  it('identify and later events carry the same identity: the email remembered from identify', async () => {
    const { records } = await deliver([
      event({ type: 'identify', user_id: 'user-123', traits: { email: 'jane.doe@example.com', name: 'Jane' } }),
      track({ user_id: 'user-123', context: { traits: { email: 'jane.doe@example.com' } } }),
    ]);
    expect(records.map((r) => r['identity'])).toEqual(['jane.doe@example.com', 'jane.doe@example.com']);
    expect(records.some((r) => 'objectId' in r)).toBe(false);
  });

  it('without a known email, user_id is sent as objectId (and no identity)', async () => {
    const { records } = await deliver([track({ user_id: 'user-123' })]);
    expect(records[0]).toMatchObject({ type: 'event', objectId: 'user-123' });
    expect(records[0]).not.toHaveProperty('identity');
  });

  it('neither email nor user_id (an anonymous visitor) → dropped with the reason (anonymous_events: drop), other events still sent', async () => {
    const { results, records } = await deliver([track({ user_id: undefined, anonymous_id: 'anon-1' }), track({ user_id: 'u2' })]);
    expect(results[0]).toMatchObject({ status: 'dropped' });
    expect(results[0]!.status === 'dropped' && results[0]!.reason).toMatch(/anonymous_events: object_id/);
    expect(results[1]).toEqual({ status: 'delivered' });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ objectId: 'u2' });
  });
});

describe('troubleshooting: status partial / fail in the response', () => {
  it('partial with one unprocessed record → that record rejected with CleverTap’s code and error, the others delivered', async () => {
    const events = [track({ user_id: 'a' }), track({ user_id: 'b' }), track({ user_id: 'c' })];
    const handler = refusing((record) => (record['objectId'] === 'b' ? { code: 523, error: 'Identity not found' } : undefined));
    const { results, requests } = await deliver(events, handler);
    expect(requests).toHaveLength(1);
    expect(results).toEqual([{ status: 'delivered' }, { status: 'rejected', code: 'clevertap_523', message: 'Identity not found' }, { status: 'delivered' }]);
  });

  it('fail with every record unprocessed → no record is reported delivered', async () => {
    const events = [track({ user_id: 'a' }), track({ user_id: 'b' })];
    const { results } = await deliver(events, refusing(() => ({ code: 512, error: 'Invalid payload structure' })));
    expect(results).toEqual(events.map(() => ({ status: 'rejected', code: 'clevertap_512', message: 'Invalid payload structure' })));
  });

  it.each([509, 512, 513, 522, 523, 525])('code %i is permanent → rejected clevertap_%i', async (code) => {
    const { results } = await deliver([track()], refusing(() => ({ code, error: `error ${code}` })));
    expect(results).toEqual([{ status: 'rejected', code: `clevertap_${code}`, message: `error ${code}` }]);
  });

  it('another code → retry, carrying CleverTap’s error', async () => {
    const { results } = await deliver([track({ user_id: 'a' }), track({ user_id: 'b' })], refusing((r) => (r['objectId'] === 'a' ? { code: 500, error: 'Internal processing error' } : undefined)));
    expect(results[0]).toMatchObject({ status: 'retry' });
    expect(results[0]!.status === 'retry' && results[0]!.reason).toContain('Internal processing error');
    expect(results[1]).toEqual({ status: 'delivered' });
  });
});

describe('troubleshooting: 429 Too Many Requests', () => {
  it('→ retry, honouring Retry-After, naming the 15-concurrent-requests limit', async () => {
    const { results } = await deliver([track(), track()], () => ({ status: 429, headers: { 'retry-after': '3' }, body: { status: 'fail', error: 'Too many requests' } }));
    for (const r of results) {
      expect(r).toMatchObject({ status: 'retry', retryAfterMs: 3_000 });
      expect(r.status === 'retry' && r.reason).toMatch(/15 concurrent requests/);
    }
  });
});

describe('troubleshooting: purchase revenue not showing', () => {
  it('Order Completed → Charged with Amount (a number, even from a numeric string) and Currency', async () => {
    const { records } = await deliver([
      event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { order_id: 'o9', revenue: '42.50', currency: 'EUR' } }),
    ]);
    expect(records[0]).toMatchObject({ evtName: 'Charged', evtData: { 'Charged ID': 'o9', Amount: 42.5, Currency: 'EUR' } });
  });

  it('a user mapping that renames Charged keeps the Amount/Currency renames', async () => {
    const { records } = await deliver([event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { revenue: 5, currency: 'USD' } })], undefined, {
      mapping: { events: { 'Order Completed': 'Purchase' } },
    });
    expect(records[0]).toMatchObject({ evtName: 'Purchase', evtData: { Amount: 5, Currency: 'USD' } });
  });
});

describe('secrets', () => {
  it('the passcode never appears in the delivery log (headers masked, body and response redacted)', async () => {
    // A vendor that echoes the credentials back in its error body.
    const { exchanges, results } = await deliver([track()], (req) => ({ status: 401, body: { error: `bad passcode ${req.headers['x-clevertap-passcode']}` } }));
    const request = exchanges[0]!.request;
    expect(request.headers['X-CleverTap-Passcode']).toBe('[REDACTED]');
    expect(request.headers['X-CleverTap-Account-Id']).toBe(settings.account_id);
    expect(JSON.stringify({ exchanges, results })).not.toContain(settings.passcode);
  });
});

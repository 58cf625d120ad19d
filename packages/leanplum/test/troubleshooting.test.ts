import { createIntegration, SettingsError } from '@signal/core';
import { useFakeVendor } from '@signal/core/testkit';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { deliver, event, form, ok, settings } from './fixtures.js';

// One test per "Troubleshooting" entry of leanplum-track.txt, plus the DESIGN.md vendor facts.
const fake = useFakeVendor(ok);

const track = (props: Record<string, unknown> = {}) => event({ type: 'track', event: 'Product Viewed', user_id: 'u1', properties: props });

describe('Events not appearing in Leanplum (Development key)', () => {
  it('refuses a dev_ client key in settings, naming the field and not echoing the key', () => {
    let caught: unknown;
    try {
      createIntegration(plugin, { settings: { app_id: 'app_1', client_key: 'dev_s3cretKEY' } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SettingsError);
    const err = caught as SettingsError;
    expect(err.issues.map((i) => i.path)).toEqual(['settings.client_key']);
    expect(err.message).toMatch(/Development key/);
    expect(err.message).not.toContain('dev_s3cretKEY');
  });

  it('accepts a dev_ key when allow_development_key is set', () => {
    expect(() => createIntegration(plugin, { settings: { app_id: 'app_1', client_key: 'dev_s3cretKEY', allow_development_key: true } })).not.toThrow();
  });

  it('names each missing field', () => {
    expect(() => createIntegration(plugin, { settings: {} })).toThrow(/settings\.app_id: is required.*settings\.client_key: is required/);
  });
});

describe('Delivery marked failed despite HTTP 200', () => {
  it('success:false is rejected (permanent) with error.message surfaced', async () => {
    fake.respond(() => ({ status: 200, body: { response: [{ success: false, error: { message: 'Missing argument userId or deviceId.' } }] } }));
    const { results, exchanges } = await deliver(fake, [track()]);
    expect(fake.requests).toHaveLength(1);
    expect(results).toEqual([{ status: 'rejected', code: 'leanplum_error', message: 'Leanplum: Missing argument userId or deviceId.' }]);
    expect(exchanges[0]!.response!.body).toContain('Missing argument');
  });

  it('a bad-key message in a 200 body pauses the integration (auth), not the event', async () => {
    fake.respond(() => ({ status: 200, body: { response: [{ success: false, error: { message: 'Invalid clientKey' } }] } }));
    const { results } = await deliver(fake, [track()]);
    expect(results[0]!.status).toBe('auth');
  });

  it('a 200 that is not a Leanplum body (e.g. a proxy page) is retried, not counted delivered', async () => {
    fake.respond(() => ({ status: 200, body: '<html>gateway</html>' }));
    const { results } = await deliver(fake, [track()]);
    expect(results[0]!.status).toBe('retry');
  });
});

describe('params rejected (nested values): Signal reshapes them, never rejects the event', () => {
  it('a nested object is sent as its compact JSON text under its own one name', async () => {
    const { results } = await deliver(fake, [track({ product: { sku: 'A1', price: 5 }, n: 1 })]);
    expect(results).toEqual([{ status: 'delivered' }]);
    const params = JSON.parse(new URLSearchParams(fake.requests[0]!.body).get('params')!);
    expect(params).toEqual({ product: '{"sku":"A1","price":5}', n: '1' });
  });

  it('an array too (one parameter name, whatever its length)', async () => {
    const { results } = await deliver(fake, [track({ skus: ['A1', 'B2'], items: [{ id: 1 }, { id: 2 }] })]);
    expect(results).toEqual([{ status: 'delivered' }]);
    const params = JSON.parse(new URLSearchParams(fake.requests[0]!.body).get('params')!);
    expect(params).toEqual({ skus: '["A1","B2"]', items: '[{"id":1},{"id":2}]' });
  });

  it('with flatten: true in the mapping, nested values are sent as dotted string params', async () => {
    const { results } = await deliver(fake, [track({ product: { sku: 'A1', price: 5 }, skus: ['A1', 'B2'] })], {
      mapping: { events: { 'Product Viewed': { to: 'Product Viewed', flatten: true } } },
    });
    expect(results).toEqual([{ status: 'delivered' }]);
    const params = JSON.parse(new URLSearchParams(fake.requests[0]!.body).get('params')!);
    expect(params).toEqual({ 'product.sku': 'A1', 'product.price': '5', 'skus.0': 'A1', 'skus.1': 'B2' });
  });

  it('money properties keep two decimals; other numbers and booleans are plain strings; nulls are left out', async () => {
    await deliver(fake, [track({ price: 5, discount: 1.125, quantity: 2, ratio: 0.5, in_stock: true, note: null })]);
    const params = JSON.parse(new URLSearchParams(fake.requests[0]!.body).get('params')!);
    expect(params).toEqual({ price: '5.00', discount: '1.125', quantity: '2', ratio: '0.5', in_stock: 'true' });
  });

  it('the money list is a setting', async () => {
    await deliver(fake, [track({ price: 5, fee: 3 })], { settings: { ...settings, money_properties: ['fee'] } });
    const params = JSON.parse(new URLSearchParams(fake.requests[0]!.body).get('params')!);
    expect(params).toEqual({ price: '5', fee: '3.00' });
  });
});

describe('Everything attributes to new anonymous users', () => {
  it('user_id is sent as userId (and the anonymous id is not sent alongside)', async () => {
    await deliver(fake, [event({ type: 'track', event: 'Logged In', user_id: 'u_9', anonymous_id: 'anon-1' })]);
    expect(form(fake.requests[0]!).slice(0, 2)).toEqual([
      ['userId', 'u_9'],
      ['event', 'Login'],
    ]);
    expect(fake.requests[0]!.body).not.toContain('anon-1');
  });

  it('without user_id, anonymous_id falls back to deviceId', async () => {
    await deliver(fake, [event({ type: 'track', event: 'Logged In', anonymous_id: 'anon-1' })]);
    expect(form(fake.requests[0]!)).toEqual([
      ['deviceId', 'anon-1'],
      ['event', 'Login'],
      ['time', '1749200400'],
    ]);
  });
});

describe('401 / 403 (bad appId or clientKey)', () => {
  it.each([401, 403])('HTTP %i → auth, without the key in the message', async (status) => {
    fake.respond(() => ({ status, body: { response: [{ success: false, error: { message: 'Incorrect appId or clientKey.' } }] } }));
    const { results } = await deliver(fake, [track()]);
    expect(results[0]!.status).toBe('auth');
    expect((results[0] as { message: string }).message).toMatch(/appId\/clientKey.*Incorrect appId or clientKey/);
    expect(JSON.stringify(results)).not.toContain(settings.client_key);
  });
});

describe('warnings and device locking (DESIGN.md vendor facts)', () => {
  it('success with a warning is delivered with the warning text', async () => {
    fake.respond(() => ({ status: 200, body: { response: [{ success: true, warning: { message: 'User not found; request skipped.' } }] } }));
    const { results } = await deliver(fake, [track()]);
    expect(results).toEqual([{ status: 'delivered', warning: 'User not found; request skipped.' }]);
  });

  it('429 (device lock) → retry, honouring Retry-After', async () => {
    fake.respond(() => ({ status: 429, headers: { 'retry-after': '2' }, body: '' }));
    const { results } = await deliver(fake, [track()]);
    expect(results[0]).toMatchObject({ status: 'retry', retryAfterMs: 2000 });
    expect((results[0] as { reason: string }).reason).toMatch(/device lock/);
  });

  it('other 4xx → rejected with the Leanplum message', async () => {
    fake.respond(() => ({ status: 400, body: { response: [{ success: false, error: { message: 'Invalid time.' } }] } }));
    const { results } = await deliver(fake, [track()]);
    expect(results).toEqual([{ status: 'rejected', code: 'http_400', message: 'HTTP 400: Invalid time.' }]);
  });
});

describe('secrets', () => {
  it('the client key travels in the query but never appears in the exchange or results', async () => {
    const secret = 'prod_Zk81secretValue';
    fake.respond(() => ({ status: 403, body: { response: [{ success: false, error: { message: `bad key ${secret}` } }] } }));
    const { results, exchanges } = await deliver(fake, [track()], { settings: { app_id: 'app_1', client_key: secret } });
    expect(fake.requests[0]!.query['clientKey']).toBe(secret);
    const exchange = exchanges[0]!;
    expect(exchange.request.url).not.toContain(secret);
    expect(exchange.request.url).toContain('clientKey=');
    expect(JSON.stringify(exchange)).not.toContain(secret);
    expect(JSON.stringify(results)).not.toContain(secret);
  });

  it('in multi mode the key is in the JSON body, and redacted there too', async () => {
    const secret = 'prod_Zk81secretValue';
    fake.respond(() => ({ status: 200, body: { response: [{ success: true }] } }));
    const { exchanges } = await deliver(fake, [track()], { settings: { app_id: 'app_1', client_key: secret, batch: true } });
    expect(JSON.parse(fake.requests[0]!.body).clientKey).toBe(secret);
    expect(JSON.stringify(exchanges)).not.toContain(secret);
  });
});

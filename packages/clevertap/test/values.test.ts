import { describe, expect, it } from 'vitest';
import { deliver, event } from './harness.js';

// CleverTap's value rules (issue #13): scalars in events (Charged Items excepted), profile fields normalised.
const viewed = (properties: Record<string, unknown>) => event({ type: 'track', event: 'Product Viewed', user_id: 'u1', properties });
const identify = (traits: Record<string, unknown>) => event({ type: 'identify', user_id: 'u1', traits: { email: 'jo@example.com', ...traits } });

describe('event properties', () => {
  it('objects and arrays are sent as their JSON text; scalars as they are', async () => {
    const { records, results } = await deliver([viewed({ sku: 'A', price: 5, tags: ['x', 'y'], dims: { w: 1, h: 2 }, sale: false, note: null })]);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(records[0]!['evtData']).toEqual({ sku: 'A', price: 5, tags: '["x","y"]', dims: '{"w":1,"h":2}', sale: false, note: null });
  });

  it('Charged keeps Items as a list of products; its other nested values are JSON text', async () => {
    const order = event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { order_id: 'o1', revenue: 10, products: [{ sku: 'A', tags: ['t'] }], shipping: { method: 'dhl' } } });
    const { records } = await deliver([order]);
    expect(records[0]!['evtData']).toEqual({ 'Charged ID': 'o1', Amount: 10, Items: [{ sku: 'A', tags: ['t'] }], shipping: '{"method":"dhl"}' });
  });

  it('a property name over 120 bytes rejects that record alone (property_name_too_long); 120 is fine', async () => {
    const { results, records } = await deliver([viewed({ ['k'.repeat(121)]: 1 }), viewed({ ['k'.repeat(120)]: 1 }), viewed({ ['é'.repeat(61)]: 1 })]);
    expect(results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual(['property_name_too_long', 'delivered', 'property_name_too_long']);
    expect(results[0]!.status === 'rejected' && results[0]!.message).toMatch(/121 bytes; CleverTap accepts at most 120/);
    expect(records).toHaveLength(1);
  });

  it('keys inside Charged Items count too', async () => {
    const order = event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { products: [{ ['p'.repeat(130)]: 1 }] } });
    const { results } = await deliver([order]);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'property_name_too_long' });
    expect(results[0]!.status === 'rejected' && results[0]!.message).toContain('Items.0.');
  });

  it('a JSON-encoded value still has to fit in 512 bytes', async () => {
    const { results } = await deliver([viewed({ big: { text: 'x'.repeat(600) } })]);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'value_too_long' });
  });
});

describe('identify → profile record, reserved fields normalised', () => {
  const profile = async (traits: Record<string, unknown>) => {
    const { records, results } = await deliver([identify(traits)]);
    return { result: results[0]!, data: records[0]?.['profileData'] as Record<string, unknown> | undefined };
  };

  it('the profile record shape: type profile, identity, ts, profileData', async () => {
    const { records } = await deliver([identify({ name: 'Jo Doe' })]);
    expect(records[0]).toEqual({ type: 'profile', identity: 'jo@example.com', ts: 1706540000, profileData: { Email: 'jo@example.com', Name: 'Jo Doe' } });
  });

  it('Name is built from firstName and lastName when there is no name', async () => {
    expect((await profile({ firstName: 'Jo', lastName: 'Doe' })).data).toMatchObject({ Name: 'Jo Doe', firstName: 'Jo', lastName: 'Doe' });
    expect((await profile({ first_name: 'Jo' })).data).toMatchObject({ Name: 'Jo' });
    expect((await profile({ name: 'J. Doe', firstName: 'Jo' })).data).toMatchObject({ Name: 'J. Doe' });
  });

  it.each([
    ['female', 'F'],
    ['F', 'F'],
    [' Woman ', 'F'],
    ['male', 'M'],
    ['m', 'M'],
  ])('Gender %j → %s', async (input, output) => {
    expect((await profile({ gender: input })).data).toMatchObject({ Gender: output });
  });

  it('a Gender CleverTap cannot hold is rejected, naming the field and the fix', async () => {
    const { result } = await profile({ gender: 'non-binary' });
    expect(result).toMatchObject({ status: 'rejected', code: 'invalid_gender' });
    expect(result.status === 'rejected' && result.message).toMatch(/must be M or F.*rename: \{ gender: gender_identity \}/);
  });

  it.each([
    ['+14155551234', '+14155551234'],
    ['+1 (415) 555-1234', '+14155551234'],
    ['+44 20.7946.0000', '+442079460000'],
  ])('Phone %j → %s (E.164)', async (input, output) => {
    expect((await profile({ phone: input })).data).toMatchObject({ Phone: output });
  });

  it.each(['2025550123', '+0123', 'call me', '+1234567890123456'])('Phone %j is not E.164 → rejected invalid_phone', async (input) => {
    const { result } = await profile({ phone: input });
    expect(result).toMatchObject({ status: 'rejected', code: 'invalid_phone' });
    expect(result.status === 'rejected' && result.message).not.toContain(input);
  });

  it('DOB: a date string → $D_<seconds>; a $D_ value is kept; anything else is rejected', async () => {
    expect((await profile({ birthday: '1990-05-01' })).data).toMatchObject({ DOB: `$D_${Date.UTC(1990, 4, 1) / 1000}` });
    expect((await profile({ birthday: '$D_641520000' })).data).toMatchObject({ DOB: '$D_641520000' });
    expect((await profile({ birthday: 'someday' })).result).toMatchObject({ status: 'rejected', code: 'invalid_date' });
  });

  it('custom values: scalars and arrays of strings (multi-value) as they are; other nested values as JSON text', async () => {
    const { data } = await profile({ plan: 'pro', seats: 3, interests: ['ski', 'jazz'], address: { city: 'Oslo' }, scores: [1, 2], 'MSG-email': false });
    expect(data).toEqual({ Email: 'jo@example.com', plan: 'pro', seats: 3, interests: ['ski', 'jazz'], address: '{"city":"Oslo"}', scores: '[1,2]', 'MSG-email': false });
  });

  it('a profile key over 120 bytes is rejected', async () => {
    expect((await profile({ ['x'.repeat(121)]: 1 })).result).toMatchObject({ status: 'rejected', code: 'property_name_too_long' });
  });
});

describe('page views keep the page', () => {
  it('name, path, url, title and referrer are in evtData (from context.page when not in properties)', async () => {
    const page = event({
      type: 'page',
      name: 'Pricing',
      user_id: 'u1',
      properties: { plan_shown: 'pro' },
      context: { page: { path: '/pricing', url: 'https://shop.example/pricing', title: 'Pricing', referrer: 'https://google.com/' } },
    });
    const { records } = await deliver([page]);
    expect(records[0]).toMatchObject({
      evtName: 'Web Page Viewed',
      evtData: { plan_shown: 'pro', name: 'Pricing', path: '/pricing', url: 'https://shop.example/pricing', title: 'Pricing', referrer: 'https://google.com/' },
    });
  });
});

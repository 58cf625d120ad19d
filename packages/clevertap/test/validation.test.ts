import { describe, expect, it } from 'vitest';
import { deliver, event } from './harness.js';

// CleverTap's per-record limits, enforced before sending: the bad record is rejected alone and never reaches CleverTap.
const viewed = (properties: Record<string, unknown>) => event({ type: 'track', event: 'Product Viewed', user_id: 'u1', properties });
const good = () => viewed({ sku: 'ok' });

describe('property values: at most 512 bytes', () => {
  it('a 513-byte value → rejected value_too_long, naming the property but not its value; the good record is sent', async () => {
    const { results, records } = await deliver([viewed({ description: 'x'.repeat(513) }), good()]);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'value_too_long' });
    const message = results[0]!.status === 'rejected' ? results[0]!.message : '';
    expect(message).toContain('"description" is 513 bytes');
    expect(message).not.toContain('xxxx');
    expect(results[1]).toEqual({ status: 'delivered' });
    expect(records).toEqual([expect.objectContaining({ evtData: { sku: 'ok' } })]);
  });

  it('counts UTF-8 bytes, not characters: 171 × "€" (513 bytes) is too long, 170 (510 bytes) is fine', async () => {
    const { results } = await deliver([viewed({ label: '€'.repeat(171) }), viewed({ label: '€'.repeat(170) }), viewed({ label: 'y'.repeat(512) })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'delivered', 'delivered']);
  });

  it('checks nested values too (Charged Items)', async () => {
    const { results } = await deliver([
      event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { products: [{ name: 'n'.repeat(600) }] } }),
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'value_too_long' });
    expect(results[0]!.status === 'rejected' && results[0]!.message).toContain('"Items.0.name"');
  });

  it('checks identify traits (profileData)', async () => {
    const { results, requests } = await deliver([event({ type: 'identify', user_id: 'u1', traits: { email: 'a@b.co', bio: 'b'.repeat(513) } })]);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'value_too_long' });
    expect(requests).toHaveLength(0);
  });
});

describe('event names', () => {
  it.each(['%', '>', '<', '!', '|', '&', '.', ':', ';', '$', "'", '"'])('a name containing %s → rejected invalid_event_name', async (char) => {
    const { results, requests } = await deliver([good()], undefined, { mapping: { events: { 'Product Viewed': `Viewed ${char} Product` } } });
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'invalid_event_name' });
    expect(results[0]!.status === 'rejected' && results[0]!.message).toContain(`'${char}'`);
    expect(requests).toHaveLength(0);
  });

  it('120 characters is accepted, 121 is rejected event_name_too_long', async () => {
    const ok = await deliver([good()], undefined, { mapping: { events: { 'Product Viewed': 'n'.repeat(120) } } });
    expect(ok.results).toEqual([{ status: 'delivered' }]);
    expect(ok.records[0]!['evtName']).toBe('n'.repeat(120));
    const long = await deliver([good()], undefined, { mapping: { events: { 'Product Viewed': 'n'.repeat(121) } } });
    expect(long.results[0]).toMatchObject({ status: 'rejected', code: 'event_name_too_long' });
  });
});

describe('Charged Items', () => {
  const order = (n: number) => event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { order_id: 'o', products: Array.from({ length: n }, (_, i) => ({ sku: `s${i}` })) } });

  it('256 items are sent, 257 → rejected too_many_charged_items', async () => {
    const { results, records } = await deliver([order(256), order(257)]);
    expect(results[0]).toEqual({ status: 'delivered' });
    expect(results[1]).toMatchObject({ status: 'rejected', code: 'too_many_charged_items' });
    expect(records).toHaveLength(1);
    expect((records[0]!['evtData'] as { Items: unknown[] }).Items).toHaveLength(256);
  });
});

describe('time and profiles', () => {
  it('ts is Unix seconds from event.timestamp (milliseconds truncated, offsets honoured)', async () => {
    const { records } = await deliver([
      event({ type: 'track', event: 'Logged In', user_id: 'u1', timestamp: '2024-01-29T14:53:20.999Z' }),
      event({ type: 'track', event: 'Logged In', user_id: 'u1', timestamp: '2024-01-29T16:53:20+02:00' }),
    ]);
    expect(records.map((r) => r['ts'])).toEqual([1706540000, 1706540000]);
  });

  it('identify traits → CleverTap profile keys; birthday → DOB as $D_<seconds>; other traits keep their names', async () => {
    const { records } = await deliver([
      event({ type: 'identify', user_id: 'u1', traits: { name: 'Jane Doe', email: 'jane@example.com', phone: '+4412345', birthday: '1990-05-01', plan: 'pro' } }),
    ]);
    expect(records[0]).toEqual({
      type: 'profile',
      identity: 'jane@example.com',
      ts: 1706540000,
      profileData: { Name: 'Jane Doe', Email: 'jane@example.com', Phone: '+4412345', DOB: `$D_${Date.UTC(1990, 4, 1) / 1000}`, plan: 'pro' },
    });
  });

  it('a page view → Web Page Viewed with its properties and its name as evtData', async () => {
    const { records } = await deliver([event({ type: 'page', name: 'Home', user_id: 'u1', properties: { path: '/', title: 'Home' } })]);
    expect(records[0]).toEqual({ type: 'event', objectId: 'u1', ts: 1706540000, evtName: 'Web Page Viewed', evtData: { path: '/', title: 'Home', name: 'Home' } });
  });

  it('unmapped events and group calls are dropped, not sent', async () => {
    const { results, requests } = await deliver([
      event({ type: 'track', event: 'Coupon Applied', user_id: 'u1' }),
      event({ type: 'group', group_id: 'g1', user_id: 'u1' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['dropped', 'dropped']);
    expect(requests).toHaveLength(0);
  });
});

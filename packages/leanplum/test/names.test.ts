import type { Mapping, SignalEvent } from '@signal/core';
import { useFakeVendor } from '@signal/core/testkit';
import { describe, expect, it } from 'vitest';
import { deliver, event, form, ok } from './fixtures.js';

// Every name is just a name: Object.prototype's member names as event names, property
// keys, trait keys and mapping keys reach Leanplum intact, like any other name.
const fake = useFakeVendor(ok);

/** `{ "<name>": value }` with the name as an own key (also `__proto__`), as JSON.parse builds it from storage. */
const own = (name: string, value: unknown) => JSON.parse(`{${JSON.stringify(name)}:${JSON.stringify(value)}}`) as Record<string, unknown>;
const stored = (e: SignalEvent, patch: Partial<SignalEvent>): SignalEvent => ({ ...e, ...patch });

describe.each(Object.getOwnPropertyNames(Object.prototype))('%s', (name) => {
  it('a track event of that name, mapped by an override keyed by it, is sent under the mapped name', async () => {
    const mapping = { events: own(name, `Vendor ${name}`) } as Mapping;
    const { results } = await deliver(fake, [event({ type: 'track', event: name, user_id: 'u1' })], { mapping });
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(new URLSearchParams(fake.requests[0]!.body).get('event')).toBe(`Vendor ${name}`);
  });

  it('a track event of that name is dropped when unmapped, like any other name', async () => {
    const { results } = await deliver(fake, [event({ type: 'track', event: name, user_id: 'u1' })]);
    expect(results[0]).toEqual({ status: 'dropped', reason: `"${name}" is not in the event map (unmapped events are dropped)` });
    expect(fake.requests).toHaveLength(0);
  });

  it('a property of that name arrives as a param of that name', async () => {
    const base = event({ type: 'track', event: 'Product Viewed', user_id: 'u1' });
    const { results } = await deliver(fake, [stored(base, { properties: { ...own(name, 'v'), sku: 'A1' } })]);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(new URLSearchParams(fake.requests[0]!.body).get('params')).toBe(`{${JSON.stringify(name)}:"v","sku":"A1"}`);
  });

  it('a trait of that name arrives as a user attribute of that name', async () => {
    const base = event({ type: 'identify', user_id: 'u1' });
    const { results } = await deliver(fake, [stored(base, { traits: { ...own(name, 't'), plan: 'pro' } })]);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(form(fake.requests[0]!)).toEqual([
      ['userId', 'u1'],
      ['userAttributes', `{${JSON.stringify(name)}:"t","plan":"pro"}`],
    ]);
  });

  it('a rename override keyed by that name renames it; a property of that name on Purchase is not mistaken for a field', async () => {
    const base = event({ type: 'track', event: 'Order Completed', user_id: 'u1' });
    const mapping = { events: { 'Order Completed': { to: 'Purchase', rename: own(name, 'renamed') as Record<string, string> } } } as Mapping;
    await deliver(fake, [stored(base, { properties: { ...own(name, 1), revenue: 5, currency: 'EUR' } })], { mapping });
    const fields = new URLSearchParams(fake.requests[0]!.body);
    expect(fields.get('value')).toBe('5');
    expect(fields.get('params')).toBe('{"renamed":"1"}');
  });
});

import type { Mapping, SignalEvent } from '@signal/core';
import { describe, expect, it } from 'vitest';
import { deliver, event } from './harness.js';

// Every name is just a name: Object.prototype's member names as event names, property
// keys, trait keys and mapping keys reach CleverTap intact, like any other name.

/** `{ "<name>": value }` with the name as an own key (also `__proto__`), as JSON.parse builds it from storage. */
const own = (name: string, value: unknown) => JSON.parse(`{${JSON.stringify(name)}:${JSON.stringify(value)}}`) as Record<string, unknown>;
const stored = (e: SignalEvent, patch: Partial<SignalEvent>): SignalEvent => ({ ...e, ...patch });

describe.each(Object.getOwnPropertyNames(Object.prototype))('%s', (name) => {
  it('a track event of that name, mapped by an override keyed by it, arrives under the mapped name; unmapped it is dropped', async () => {
    const mapping = { events: own(name, `Vendor ${name}`) } as Mapping;
    const mapped = await deliver([event({ type: 'track', event: name, user_id: 'u1' })], undefined, { mapping });
    expect(mapped.results).toEqual([{ status: 'delivered' }]);
    expect(mapped.records[0]!['evtName']).toBe(`Vendor ${name}`);
    const unmapped = await deliver([event({ type: 'track', event: name, user_id: 'u1' })]);
    expect(unmapped.results[0]).toEqual({ status: 'dropped', reason: `"${name}" is not in the event map (unmapped events are dropped)` });
  });

  it('a property of that name arrives in evtData under that name', async () => {
    const base = event({ type: 'track', event: 'Product Viewed', user_id: 'u1' });
    const { requests, results } = await deliver([stored(base, { properties: { ...own(name, 'v'), sku: 'A1' } })]);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(requests[0]!.body).toContain(`"evtData":{${JSON.stringify(name)}:"v","sku":"A1"}`);
  });

  it('a trait of that name arrives in profileData under that name', async () => {
    const base = event({ type: 'identify', user_id: 'u1' });
    const { requests, results } = await deliver([stored(base, { traits: { email: 'jo@example.com', ...own(name, 't') } })]);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(requests[0]!.body).toContain(`"profileData":{"Email":"jo@example.com",${JSON.stringify(name)}:"t"}`);
  });

  it('a rename override keyed by that name renames the property', async () => {
    const base = event({ type: 'track', event: 'Product Viewed', user_id: 'u1' });
    const mapping = { events: { 'Product Viewed': { to: 'Product Viewed', rename: own(name, 'renamed') as Record<string, string> } } } as Mapping;
    const { records } = await deliver([stored(base, { properties: own(name, 1) })], undefined, { mapping });
    expect(records[0]!['evtData']).toEqual({ renamed: 1 });
  });

  it('an identity trait of that name (identity_from: trait) is read as an own trait only', async () => {
    const base = event({ type: 'identify', user_id: 'u1' });
    const settings = { account_id: 'TEST-ACC-1234', passcode: 'pc-S3CRET-9f8e7d', region: 'eu1', identity_from: 'trait', identity_trait: name };
    const withTrait = await deliver([stored(base, { traits: own(name, 'C-1') })], undefined, { settings });
    expect(withTrait.records[0]).toMatchObject({ identity: 'C-1' });
    const without = await deliver([stored(base, { traits: {} })], undefined, { settings });
    expect(without.records[0]).toMatchObject({ objectId: 'u1' });
  });
});

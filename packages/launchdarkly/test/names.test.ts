import type { Mapping, SignalEvent } from '@signal/core';
import { describe, expect, it } from 'vitest';
import { event, settings, useRun } from './harness.js';

// Every name is just a name: Object.prototype's member names as event names, property
// keys, trait keys and mapping keys reach LaunchDarkly intact, like any other name.
const run = useRun();

/** `{ "<name>": value }` with the name as an own key (also `__proto__`), as JSON.parse builds it from storage. */
const own = (name: string, value: unknown) => JSON.parse(`{${JSON.stringify(name)}:${JSON.stringify(value)}}`) as Record<string, unknown>;
const stored = (e: SignalEvent, patch: Partial<SignalEvent>): SignalEvent => ({ ...e, ...patch });

describe.each(Object.getOwnPropertyNames(Object.prototype))('%s', (name) => {
  it('a track event of that name, mapped by an override keyed by it, arrives under the mapped key; unmapped it is dropped', async () => {
    const mapped = await run.deliver([event({ type: 'track', event: name })], { mapping: { events: own(name, `key_${name}`) } as Mapping });
    expect(mapped.results).toEqual([{ status: 'delivered' }]);
    expect(run.vendor.requests[0]!.json<{ key: string }[]>()[0]!.key).toBe(`key_${name}`);
    const unmapped = await run.deliver([event({ type: 'track', event: name })]);
    expect(unmapped.results[0]).toEqual({ status: 'dropped', reason: `"${name}" is not in the event map (unmapped events are dropped)` });
  });

  it('a property of that name arrives in data under that name; as the metricValue field it is read as an own property', async () => {
    const base = event({ type: 'track', event: 'Signed Up' });
    await run.deliver([stored(base, { properties: { ...own(name, 'v'), plan: 'pro' } })]);
    expect(run.vendor.requests[0]!.body).toContain(`"data":{${JSON.stringify(name)}:"v","plan":"pro"}`);
    run.vendor.reset();
    const mapping = { events: { 'Signed Up': { to: 'sign_up', fields: { metricValue: `properties.${name}` } } } } as Mapping;
    await run.deliver([stored(base, { properties: own(name, 7) })], { mapping });
    expect(run.vendor.requests[0]!.json<{ metricValue?: number; data: object }[]>()[0]).toMatchObject({ metricValue: 7, data: {} });
    run.vendor.reset();
    const { results } = await run.deliver([stored(base, { properties: {} })], { mapping });
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(run.vendor.requests[0]!.json<object[]>()[0]).not.toHaveProperty('metricValue');
  });

  it('a trait of that name can fill an extra context key', async () => {
    const base = event({ type: 'track', event: 'Signed Up', user_id: 'u1' });
    await run.deliver([stored(base, { context: { traits: own(name, 'org-1') } })], { settings: { ...settings, context_keys: { organization: `context.traits.${name}` } } });
    expect(run.vendor.requests[0]!.json<{ contextKeys: object }[]>()[0]!.contextKeys).toEqual({ user: 'u1', organization: 'org-1' });
  });

  it('a rename override keyed by that name renames the property', async () => {
    const base = event({ type: 'track', event: 'Signed Up' });
    await run.deliver([stored(base, { properties: own(name, 1) })], { mapping: { events: { 'Signed Up': { to: 'sign_up', rename: own(name, 'renamed') as Record<string, string> } } } });
    expect(run.vendor.requests[0]!.json<{ data: object }[]>()[0]!.data).toEqual({ renamed: 1 });
  });
});

import { describe, expect, it } from 'vitest';
import { applyMapping, flattenObject, getPath, hasConsent, mappingSchema, mergeMapping, missingConsent, type Mapping, type SignalEvent } from '@signal/core';

// Every name is just a name: keys equal to an Object.prototype member (constructor, toString,
// __proto__, …) are mapped, renamed, omitted and dropped exactly like any other key.
const names = Object.getOwnPropertyNames(Object.prototype);

/** An event as it comes back from storage: JSON.parse makes `__proto__` an own key, as any other. */
function storedEvent(fields: Record<string, unknown>): SignalEvent {
  const base = { type: 'track', event: 'Signed Up', user_id: 'u1', message_id: 'm1', timestamp: '2025-06-06T09:00:00.000Z', properties: {}, traits: {}, context: {} };
  return JSON.parse(JSON.stringify({ ...base, ...fields })) as SignalEvent;
}

/** `{ [name]: value }` with `name` as an own key even when it is `__proto__`. */
const own = (name: string, value: unknown): Record<string, unknown> => JSON.parse(`{${JSON.stringify(name)}:${JSON.stringify(value)}}`) as Record<string, unknown>;

const sent = (outcome: ReturnType<typeof applyMapping>) => {
  if (outcome.action !== 'send') throw new Error(`expected send, got ${JSON.stringify(outcome)}`);
  return outcome.mapped;
};

it('the list covers the names the issue lists', () => {
  expect(names).toEqual(expect.arrayContaining(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', '__defineGetter__', '__lookupSetter__']));
});

describe.each(names)('name %s', (name) => {
  it('a track event with this name is unmapped (dropped) unless the map names it, then mapped like any other', () => {
    const event = storedEvent({ event: name });
    expect(applyMapping(event, { events: {} })).toEqual({ action: 'drop', reason: `"${name}" is not in the event map (unmapped events are dropped)` });
    expect(sent(applyMapping(event, { events: {}, unmapped: 'passthrough' })).name).toBe(name);
    expect(sent(applyMapping(event, { events: own(name, 'Vendor Name') as Mapping['events'] })).name).toBe('Vendor Name');
    expect(applyMapping(event, { events: own(name, 'drop') as Mapping['events'] })).toEqual({ action: 'drop', reason: `"${name}" is mapped to drop` });
  });

  it('a property with this name is kept intact, under its own key, as an own property', () => {
    const mapped = sent(applyMapping(storedEvent({ properties: { ...own(name, 'v'), plain: 1 } }), { events: { 'Signed Up': 'sign_up' } }));
    expect(Object.keys(mapped.properties)).toEqual([name, 'plain']);
    expect(Object.hasOwn(mapped.properties, name)).toBe(true);
    expect(mapped.properties[name]).toBe('v');
    expect(Object.getPrototypeOf(mapped.properties)).toBe(Object.prototype);
    expect(JSON.stringify(mapped.properties)).toBe(`{${JSON.stringify(name)}:"v","plain":1}`);
  });

  it('a trait with this name is kept intact on identify', () => {
    const mapped = sent(applyMapping(storedEvent({ type: 'identify', event: undefined, traits: own(name, 't') }), { events: { identify: 'identify' } }));
    expect(JSON.stringify(mapped.properties)).toBe(`{${JSON.stringify(name)}:"t"}`);
  });

  it('a property that is not there is not read from the prototype (renames, omits and fields only see own keys)', () => {
    const mapped = sent(applyMapping(storedEvent({ properties: { a: 1 } }), { events: { 'Signed Up': { to: 's', fields: { f: `properties.${name}` } } } }));
    expect(mapped.properties).toEqual({ a: 1 });
    expect(mapped.fields).toEqual({});
    expect(Object.keys(mapped.properties)).toEqual(['a']);
  });

  it('renames from and to this name, and omits it', () => {
    const event = storedEvent({ properties: { ...own(name, 'v'), other: 2 } });
    const renamedFrom = sent(applyMapping(event, { events: { 'Signed Up': { to: 's', rename: own(name, 'renamed') as Record<string, string> } } }));
    expect(renamedFrom.properties).toEqual({ renamed: 'v', other: 2 });
    const renamedTo = sent(applyMapping(event, { events: { 'Signed Up': { to: 's', rename: { other: name } } } }));
    expect(JSON.stringify(renamedTo.properties)).toBe(`{${JSON.stringify(name)}:2}`);
    const omitted = sent(applyMapping(event, { events: { 'Signed Up': { to: 's', omit: [name] } } }));
    expect(omitted.properties).toEqual({ other: 2 });
    // A rename table that does not name the key leaves it alone (it used to read Object.prototype).
    const untouched = sent(applyMapping(event, { events: { 'Signed Up': { to: 's', rename: { unrelated: 'x' } } } }));
    expect(JSON.stringify(untouched.properties)).toBe(`{${JSON.stringify(name)}:"v","other":2}`);
  });

  it('a rule field named this way, reading a property named this way', () => {
    const mapped = sent(applyMapping(storedEvent({ properties: own(name, 5) }), { events: { 'Signed Up': { to: 's', fields: own(name, `properties.${name}`) as Record<string, string> } } }));
    expect(JSON.stringify(mapped.fields)).toBe(`{${JSON.stringify(name)}:5}`);
    expect(mapped.properties).toEqual({});
  });

  it('flattening keeps the name as a key segment', () => {
    const flat = flattenObject({ ...own(name, { ...own(name, 1) }), list: [own(name, 2)] });
    expect(JSON.stringify(flat)).toBe(`{${JSON.stringify(`${name}.${name}`)}:1,${JSON.stringify(`list.0.${name}`)}:2}`);
    expect(Object.getPrototypeOf(flat)).toBe(Object.prototype);
  });

  it('getPath reads own keys only', () => {
    expect(getPath({ a: {} }, `a.${name}`)).toBeUndefined();
    expect(getPath({ a: own(name, 'x') }, `a.${name}`)).toBe('x');
  });

  it('mergeMapping: an override keyed by this name over a preset, with and without a preset entry', () => {
    const preset: Mapping = { events: { ...(own(name, { to: 'P', fields: { value: 'properties.revenue' } }) as Mapping['events']) } };
    const renamed = mergeMapping(preset, { events: own(name, 'Q') as Mapping['events'] });
    expect(Object.hasOwn(renamed.events!, name)).toBe(true);
    expect(renamed.events![name]).toEqual({ to: 'Q', fields: { value: 'properties.revenue' } });
    expect(Object.getPrototypeOf(renamed.events)).toBe(Object.prototype);
    // No preset entry for the name: the override stands alone (not merged with Object.prototype's member).
    const fresh = mergeMapping({ events: {} }, { events: own(name, 'Q') as Mapping['events'] });
    expect(JSON.stringify(fresh.events)).toBe(`{${JSON.stringify(name)}:"Q"}`);
    const rule = mergeMapping({ events: {} }, { events: own(name, { to: 'R' }) as Mapping['events'] });
    expect(JSON.stringify(rule.events)).toBe(`{${JSON.stringify(name)}:{"to":"R"}}`);
    // Global renames keyed by the name, merged from both sides.
    const props = mergeMapping({ events: {}, properties: { rename: own(name, 'a') as Record<string, string> } }, { properties: { rename: { x: 'y' } } });
    expect(JSON.stringify(props.properties?.rename)).toBe(`{${JSON.stringify(name)}:"a","x":"y"}`);
  });

  it('a consent category of this name is granted only when the event carries it', () => {
    const granted = storedEvent({ context: { consent: { categories: [name] } } });
    const none = storedEvent({ context: { consent: { categories: [] } } });
    expect(hasConsent(granted, [name])).toBe(true);
    expect(hasConsent(none, [name])).toBe(false);
    expect(missingConsent(none, [name, 'marketing'])).toEqual([name, 'marketing']);
  });

  it('mappingSchema keeps an own key of this name (config from YAML/JSON)', () => {
    const input = JSON.parse(`{"events":{${JSON.stringify(name)}:"X"},"properties":{"rename":{${JSON.stringify(name)}:"Y"}}}`);
    const parsed = mappingSchema.parse(input);
    expect(JSON.stringify(parsed)).toBe(`{"events":{${JSON.stringify(name)}:"X"},"properties":{"rename":{${JSON.stringify(name)}:"Y"}}}`);
    expect(Object.getPrototypeOf(parsed.events)).toBe(Object.prototype);
  });
});

describe('__proto__ never alters a prototype', () => {
  it('a property __proto__ holding an object stays data', () => {
    const event = storedEvent({ properties: JSON.parse('{"__proto__":{"polluted":true},"a":1}') });
    const mapped = sent(applyMapping(event, { events: { 'Signed Up': { to: 's', flatten: false } } }));
    expect(Object.getPrototypeOf(mapped.properties)).toBe(Object.prototype);
    expect((mapped.properties as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.stringify(mapped.properties)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('an event map keyed __proto__ with a rule object does not become the map’s prototype', () => {
    const merged = mergeMapping({ events: {} }, { events: JSON.parse('{"__proto__":{"to":"X"}}') });
    expect(Object.getPrototypeOf(merged.events)).toBe(Object.prototype);
    expect(applyMapping(storedEvent({ event: 'to' }), merged)).toMatchObject({ action: 'drop' });
  });
});

describe('mappingSchema errors still name the path', () => {
  it('a bad entry under events', () => {
    const result = mappingSchema.safeParse({ events: { 'Order Completed': 42 } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['events', 'Order Completed']);
  });

  it('events must be an object', () => {
    const result = mappingSchema.safeParse({ events: ['a'] });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['events']);
  });

  it('a bad rename value', () => {
    const result = mappingSchema.safeParse({ events: { X: { to: 'Y', rename: { a: 1 } } } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path.slice(0, 2)).toEqual(['events', 'X']);
  });
});

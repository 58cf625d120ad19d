import type { Mapping, SignalEvent } from '@signal/core';
import { describe, expect, it } from 'vitest';
import { deliver, event, useReceiver } from './receiver.js';

// Every name is just a name: Object.prototype's member names as event names, property
// keys, trait keys, mapping keys and data keys reach the webhook intact, like any other name.
const receiver = useReceiver();
const url = 'https://hooks.example.com/signal';

/** `{ "<name>": value }` with the name as an own key (also `__proto__`), as JSON.parse builds it from storage or config. */
const own = (name: string, value: unknown) => JSON.parse(`{${JSON.stringify(name)}:${JSON.stringify(value)}}`) as Record<string, unknown>;
const stored = (e: SignalEvent, patch: Partial<SignalEvent>): SignalEvent => ({ ...e, ...patch });
const body = () => receiver.requests[0]!.body;

describe.each(Object.getOwnPropertyNames(Object.prototype))('%s', (name) => {
  it('a track event of that name arrives with its name; an override keyed by it renames or drops it', async () => {
    await deliver({ url }, [event({ type: 'track', event: name, user_id: 'u1' })], receiver);
    expect(JSON.parse(body()).event).toBe(name);
    receiver.reset();
    await deliver({ url }, [event({ type: 'track', event: name, user_id: 'u1' })], receiver, { events: own(name, 'renamed') as Mapping['events'] });
    expect(JSON.parse(body()).event).toBe('renamed');
    receiver.reset();
    const { results } = await deliver({ url }, [event({ type: 'track', event: name, user_id: 'u1' })], receiver, { events: own(name, 'drop') as Mapping['events'] });
    expect(results[0]).toEqual({ status: 'dropped', reason: `"${name}" is mapped to drop` });
    expect(receiver.requests).toHaveLength(0);
  });

  it('a property and a trait of that name arrive under that name', async () => {
    const track = stored(event({ type: 'track', event: 'X', user_id: 'u1' }), { properties: { ...own(name, 'v'), a: 1 } });
    await deliver({ url }, [track], receiver);
    expect(body()).toContain(`"properties": {\n    ${JSON.stringify(name)}: "v",\n    "a": 1\n  }`);
    receiver.reset();
    const identify = stored(event({ type: 'identify', user_id: 'u1' }), { traits: own(name, 't') });
    await deliver({ url }, [identify], receiver);
    expect(body()).toContain(`"traits": {\n    ${JSON.stringify(name)}: "t"\n  }`);
  });

  it('a template reads a property of that name (and renders empty without one); a data key of that name is a body key', async () => {
    const settings = { url: `${url}/{{ properties.${name} }}`, data: own(name, `{{ properties.${name} }}`) };
    const withIt = stored(event({ type: 'track', event: 'X', user_id: 'u1' }), { properties: own(name, 'val') });
    await deliver(settings, [withIt], receiver);
    expect(receiver.requests[0]!.path).toBe('/signal/val');
    expect(body()).toBe(`{\n  ${JSON.stringify(name)}: "val"\n}`);
    receiver.reset();
    await deliver(settings, [event({ type: 'track', event: 'X', user_id: 'u1' })], receiver);
    expect(receiver.requests[0]!.path).toBe('/signal/');
    expect(body()).toBe(`{\n  ${JSON.stringify(name)}: ""\n}`);
  });
});

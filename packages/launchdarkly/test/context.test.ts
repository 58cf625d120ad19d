import { createIntegration, type SettingsError } from '@signal/core';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { event, settings, useRun } from './harness.js';

// Settings for the context kind and extra context keys (issue #13).
const run = useRun();

type Sent = { contextKeys: Record<string, string> };
const sentKeys = () => run.vendor.requests[0]!.json<Sent[]>().map((e) => e.contextKeys);

function issues(overrides: Record<string, unknown>) {
  try {
    createIntegration(plugin, { settings: { ...settings, ...overrides } });
  } catch (error) {
    return (error as SettingsError).issues;
  }
  return [];
}

describe('context_kind', () => {
  it('defaults to user (the doc’s contextKeys.user)', async () => {
    await run.deliver([event({ type: 'track', event: 'Signed Up', user_id: 'u1' })]);
    expect(sentKeys()).toEqual([{ user: 'u1' }]);
  });

  it('names the kind of the main key (user_id, else anonymous_id)', async () => {
    await run.deliver([event({ type: 'track', event: 'Signed Up', user_id: 'm-1' }), event({ type: 'track', event: 'Signed Up', anonymous_id: 'anon-1' })], {
      settings: { ...settings, context_kind: 'member' },
    });
    expect(sentKeys()).toEqual([{ member: 'm-1' }, { member: 'anon-1' }]);
  });

  it.each([
    ['my kind', /may only contain letters, digits/],
    ['kind', /reserved/],
    ['multi', /reserved/],
  ])('%j is refused, naming the field', (kind, message) => {
    expect(issues({ context_kind: kind })).toEqual([expect.objectContaining({ path: 'settings.context_kind', message: expect.stringMatching(message) })]);
  });
});

describe('context_keys', () => {
  const withKeys = { ...settings, context_keys: { unauthenticatedUser: 'anonymous_id', organization: 'context.traits.org_id', device: 'context.device.id' } };

  it('adds a key per kind from the event path, after the main one; absent paths add nothing', async () => {
    await run.deliver(
      [
        event({ type: 'track', event: 'Signed Up', user_id: 'u1', anonymous_id: 'anon-1', context: { traits: { org_id: 'org-9' } } }),
        event({ type: 'track', event: 'Signed Up', anonymous_id: 'anon-2' }),
      ],
      { settings: withKeys },
    );
    const keys = sentKeys();
    expect(keys).toEqual([{ user: 'u1', unauthenticatedUser: 'anon-1', organization: 'org-9' }, { user: 'anon-2', unauthenticatedUser: 'anon-2' }]);
    expect(Object.keys(keys[0]!)).toEqual(['user', 'unauthenticatedUser', 'organization']);
  });

  it('a numeric key is sent as a string; an object at the path rejects that event alone', async () => {
    const { results } = await run.deliver(
      [
        event({ type: 'track', event: 'Signed Up', user_id: 'u1', context: { traits: { org_id: 42 } } }),
        event({ type: 'track', event: 'Signed Up', user_id: 'u2', context: { traits: { org_id: { id: 1 } } } }),
      ],
      { settings: withKeys },
    );
    expect(results[0]).toEqual({ status: 'delivered' });
    expect(results[1]).toMatchObject({ status: 'rejected', code: 'invalid_context_key' });
    expect(sentKeys()).toEqual([{ user: 'u1', unauthenticatedUser: 'anon-1', organization: '42' }]);
  });

  it('a path reads own values only: a trait named like an Object.prototype member that is not there adds no key', async () => {
    await run.deliver([event({ type: 'track', event: 'Signed Up', user_id: 'u1' })], { settings: { ...settings, context_keys: { org: 'context.traits.constructor' } } });
    expect(sentKeys()).toEqual([{ user: 'u1' }]);
  });

  it('kinds follow LaunchDarkly’s rules and may not repeat context_kind', () => {
    expect(issues({ context_keys: { 'bad kind': 'anonymous_id' } })).toEqual([expect.objectContaining({ path: 'settings.context_keys.bad kind' })]);
    expect(issues({ context_keys: { user: 'anonymous_id' } })).toEqual([expect.objectContaining({ path: 'settings.context_keys.user', message: expect.stringMatching(/already context_kind/) })]);
    expect(issues({ context_keys: { org: '' } })).toEqual([expect.objectContaining({ path: 'settings.context_keys.org' })]);
  });
});

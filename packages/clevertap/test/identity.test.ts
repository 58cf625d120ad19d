import { createIntegration, type SettingsError } from '@signal/core';
import { describe, expect, it } from 'vitest';
import clevertap from '../src/index.js';
import { deliver, event, settings } from './harness.js';

// Where identity and objectId come from is a setting (issue #13): one person, one CleverTap profile.
const viewed = (extra: Record<string, unknown>) => event({ type: 'track', event: 'Product Viewed', properties: { sku: 'A' }, ...extra });
const known = { user_id: 'cust-42', anonymous_id: 'anon-9', context: { traits: { email: 'jo@example.com', customer_id: 'C-0042' } } };
const beforeEmail = { user_id: 'cust-42', anonymous_id: 'anon-9' };
const anonymous = { anonymous_id: 'anon-9' };

async function who(extra: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const { records, results } = await deliver([viewed(extra)], undefined, { settings: { ...settings, ...overrides } });
  const record = records[0];
  return { result: results[0]!, id: record === undefined ? undefined : { identity: record['identity'], objectId: record['objectId'] } };
}

describe('identity_from', () => {
  it('email (the default): the email remembered from identify; before it is known, user_id as objectId', async () => {
    expect((await who(known)).id).toEqual({ identity: 'jo@example.com', objectId: undefined });
    expect((await who(beforeEmail)).id).toEqual({ identity: undefined, objectId: 'cust-42' });
  });

  it('user_id: the same identity before and after the email is known', async () => {
    expect((await who(known, { identity_from: 'user_id' })).id).toEqual({ identity: 'cust-42', objectId: undefined });
    expect((await who(beforeEmail, { identity_from: 'user_id' })).id).toEqual({ identity: 'cust-42', objectId: undefined });
  });

  it('trait: the named trait (on identify its own traits, later the remembered ones)', async () => {
    expect((await who(known, { identity_from: 'trait', identity_trait: 'customer_id' })).id).toEqual({ identity: 'C-0042', objectId: undefined });
    const identify = event({ type: 'identify', user_id: 'cust-42', traits: { customer_id: 'C-0042', email: 'jo@example.com' } });
    const { records } = await deliver([identify], undefined, { settings: { ...settings, identity_from: 'trait', identity_trait: 'customer_id' } });
    expect(records[0]).toMatchObject({ type: 'profile', identity: 'C-0042' });
  });

  it('trait needs identity_trait, and identity_trait needs identity_from: trait', () => {
    const issues = (s: Record<string, unknown>) => {
      try {
        createIntegration(clevertap, { settings: { ...settings, ...s } });
      } catch (error) {
        return (error as SettingsError).issues;
      }
      return [];
    };
    expect(issues({ identity_from: 'trait' })).toEqual([expect.objectContaining({ path: 'settings.identity_trait', message: expect.stringMatching(/required with identity_from: trait/) })]);
    expect(issues({ identity_trait: 'customer_id' })).toEqual([expect.objectContaining({ path: 'settings.identity_trait', message: expect.stringMatching(/only used with identity_from: trait/) })]);
    expect(issues({ identity_from: 'phone' })[0]).toMatchObject({ path: 'settings.identity_from' });
  });
});

describe('object_id_from (when no identity is known)', () => {
  it('user_id (the spec’s table)', async () => {
    expect((await who(beforeEmail, { object_id_from: 'user_id' })).id).toEqual({ identity: undefined, objectId: 'cust-42' });
  });

  it('anonymous_id', async () => {
    expect((await who(beforeEmail, { object_id_from: 'anonymous_id' })).id).toEqual({ identity: undefined, objectId: 'anon-9' });
    expect((await who(anonymous, { object_id_from: 'anonymous_id' })).id).toEqual({ identity: undefined, objectId: 'anon-9' });
  });

  it('none: an event of a known user without identity is dropped with the reason, never rejected', async () => {
    const { result, id } = await who(beforeEmail, { object_id_from: 'none' });
    expect(id).toBeUndefined();
    expect(result).toEqual({ status: 'dropped', reason: 'no CleverTap identity for this user yet (email unknown) and object_id_from: none' });
  });

  it('an identity always wins over objectId (exactly one is sent)', async () => {
    expect((await who(known, { object_id_from: 'anonymous_id' })).id).toEqual({ identity: 'jo@example.com', objectId: undefined });
  });
});

describe('anonymous_events (events with only an anonymous_id)', () => {
  it('drop (the default): dropped with a reason that names the setting', async () => {
    const { result, id } = await who(anonymous);
    expect(id).toBeUndefined();
    expect(result.status).toBe('dropped');
    expect(result.status === 'dropped' && result.reason).toMatch(/anonymous_events: drop.*anonymous_events: object_id/);
  });

  it('object_id: anonymous_id is sent as objectId', async () => {
    const { result, id } = await who(anonymous, { anonymous_events: 'object_id' });
    expect(result).toEqual({ status: 'delivered' });
    expect(id).toEqual({ identity: undefined, objectId: 'anon-9' });
  });

  it('never rejected, with any combination of settings', async () => {
    for (const identity_from of ['email', 'user_id'] as const) {
      for (const object_id_from of ['user_id', 'anonymous_id', 'none'] as const) {
        for (const anonymous_events of ['drop', 'object_id'] as const) {
          const { result } = await who(anonymous, { identity_from, object_id_from, anonymous_events });
          expect(['delivered', 'dropped']).toContain(result.status);
        }
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { checkEventShape, eventSchema, normaliseEventInput, parseEvent } from '@signal/core';
import { seededRandom } from '@signal/core/testkit';

/**
 * checkEventShape is the schema's fast twin (event.ts): whatever it accepts, the schema must accept
 * and output identically (same keys in the same order: the stored JSON is byte-compared); whatever
 * it is unsure of it leaves to the schema. Generated input covers each field's valid, borderline
 * and invalid values.
 */

const absent = Symbol('absent');
const text = (n: number) => 'x'.repeat(n);
const pools: Record<string, unknown[]> = {
  type: ['track', 'page', 'identify', 'group', 'screen', '', 1, null, absent],
  event: ['Order Completed', '', text(200), text(201), 3, null, absent, absent],
  name: ['Home', '', text(200), text(201), false, absent, absent],
  properties: [{ revenue: 9.5, b: 1, a: 2 }, {}, [], null, 'x', absent, { nested: { deep: [1, 2] } }],
  traits: [{ email: 'a@b.c' }, {}, [1], null, absent, absent],
  user_id: ['u1', '', text(400), text(401), 42, 0, -1.5, null, true, absent, absent],
  anonymous_id: ['anon-1', '', 7, text(401), null, absent, absent],
  group_id: ['g1', '', 9, null, absent, absent],
  message_id: ['m-1', '', text(200), text(201), 5, null],
  timestamp: [
    '2025-06-06T09:00:00Z',
    '2025-06-06T09:00:00.123Z',
    '2025-06-06T09:00:00+02:00',
    '2024-02-29T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2025-06-06 09:00:00Z',
    '2025-06-06T09:00:00',
    '2025-13-01T00:00:00Z',
    'yesterday',
    1717664400000,
    null,
  ],
  original_timestamp: ['2025-06-06T08:00:00Z', 'bad', null, absent, absent, absent],
  received_at: ['2025-06-06T09:00:01.000Z', 'bad', absent],
  extra: ['kept?', absent],
};
const contextPools: Record<string, unknown[]> = {
  page: [{ url: 'https://a.test/x', path: '/x', zz: 1, title: 'T' }, { url: 3 }, { search: '?q' }, [], null, 'p', absent, absent],
  ip: ['1.2.3.4', 5, null, absent, absent],
  user_agent: ['UA/1', {}, absent, absent],
  locale: ['en-US', 1, absent, absent],
  consent: [{ categories: ['ads'] }, { categories: [1] }, { categories: null }, { other: true }, {}, 'yes', absent, absent],
  traits: [{ email: 'a@b.c' }, [], null, absent, absent],
  library: [{ name: 'analytics.js', version: '5' }, absent],
};

/** Mostly the first (valid) value, so that whole events are often valid; else any value of the pool. */
function pick<T>(random: () => number, values: readonly T[]): T {
  return random() < 0.7 ? values[0]! : values[Math.floor(random() * values.length)]!;
}

function generate(random: () => number): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  // Keys in a shuffled order: output order must not depend on input order.
  const keys = Object.keys(pools).sort(() => random() - 0.5);
  for (const key of keys) {
    const value = pick(random, pools[key]!);
    if (value !== absent) input[key] = structuredClone(value);
  }
  const context = pick(random, [absent, 'ctx', null, {}, 'object', 'object', 'object']);
  if (context === 'object') {
    const ctx: Record<string, unknown> = {};
    for (const key of Object.keys(contextPools).sort(() => random() - 0.5)) {
      const value = pick(random, contextPools[key]!);
      if (value !== absent) ctx[key] = structuredClone(value);
    }
    input['context'] = ctx;
  } else if (context !== absent) input['context'] = context;
  return input;
}

describe('checkEventShape (the schema fast twin)', () => {
  it('outputs exactly what the schema outputs, or leaves the input to the schema', () => {
    const random = seededRandom(20261202);
    let fast = 0;
    let schemaOnly = 0;
    for (let i = 0; i < 20_000; i++) {
      const raw = generate(random);
      const checked = checkEventShape(structuredClone(raw));
      const parsed = eventSchema.safeParse(structuredClone(raw));
      if (checked === undefined) {
        schemaOnly++;
        continue;
      }
      fast++;
      expect(parsed.success, `schema refused what the fast path took: ${JSON.stringify(raw)}`).toBe(true);
      expect(JSON.stringify(checked), JSON.stringify(raw)).toBe(JSON.stringify(parsed.data));
      expect(checked).toEqual(parsed.data);
    }
    // Both paths are exercised (else the comparison above proves nothing).
    expect(fast).toBeGreaterThan(200);
    expect(schemaOnly).toBeGreaterThan(200);
  });

  it('takes the events SDKs send every day (Segment spelling, after normalising)', () => {
    const sdkEvents = [
      { type: 'track', event: 'Product Viewed', userId: 'user-1', messageId: 'id-1', timestamp: '2026-01-01T00:00:00.000Z', properties: { price: 19.99 }, context: { ip: '127.0.0.1', locale: 'en-US' } },
      { type: 'page', anonymousId: 'a-1', messageId: 'id-2', timestamp: '2026-01-01T00:00:00.000Z', name: 'Home', context: { page: { url: 'https://shop.test/', path: '/' }, userAgent: 'UA/1', library: { name: 'analytics.js', version: 'npm:next-1.70.0' } } },
      { type: 'identify', userId: 42, messageId: 'id-3', timestamp: '2026-01-01T00:00:00+01:00', traits: { email: 'a@b.c' }, context: { consent: { categoryPreferences: { Advertising: true } } } },
      { type: 'group', userId: 'u', groupId: 'g', messageId: 'id-4', timestamp: '2026-01-01T00:00:00Z' },
    ];
    for (const input of sdkEvents) {
      const raw = normaliseEventInput(input);
      raw['received_at'] = '2026-01-01T00:00:01.000Z';
      const checked = checkEventShape(raw);
      expect(checked, JSON.stringify(input)).toBeDefined();
      expect(JSON.stringify(checked)).toBe(JSON.stringify(eventSchema.parse(raw)));
    }
  });

  it('leaves invalid events to the schema, which names the field', () => {
    const r = parseEvent({ type: 'track', userId: 'u', messageId: 'm', event: '' });
    expect(r).toEqual({ ok: false, issues: [{ path: 'event', message: 'must not be empty' }] });
    const r2 = parseEvent({ type: 'track', event: 'E', userId: 'u', timestamp: '2025-02-29T00:00:00Z' });
    expect(r2.ok).toBe(false);
  });

  it('keeps keys named like Object.prototype members as they are', () => {
    const r = parseEvent({ type: 'track', event: 'E', userId: 'u', context: { constructor: 'c', toString: 't' } });
    expect(r.ok && r.event.context).toEqual({ constructor: 'c', toString: 't' });
  });
});

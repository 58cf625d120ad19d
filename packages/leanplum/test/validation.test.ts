import { createIntegration } from '@signal/core';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { formatMoney } from '../src/transform.js';
import { event, settings } from './fixtures.js';

// Leanplum's limits are checked before sending: a bad event is rejected, never sent.
const integration = createIntegration(plugin, { settings });
const prepare = (e: ReturnType<typeof event>, mapping?: Parameters<typeof createIntegration>[1]['mapping']) =>
  (mapping ? createIntegration(plugin, { settings, mapping }) : integration).prepare(e);

describe('validation before sending', () => {
  it('event names longer than 139 characters are rejected; 139 is fine', () => {
    const at = (n: number) => prepare(event({ type: 'track', event: 'Logged In', user_id: 'u1' }), { events: { 'Logged In': 'x'.repeat(n) } });
    expect(at(139).outcome).toBe('send');
    expect(at(140)).toMatchObject({ outcome: 'done', result: { status: 'rejected', code: 'invalid_event_name' } });
  });

  it('more than 50 params are rejected; 50 is fine', () => {
    const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));
    expect(prepare(event({ type: 'track', event: 'Logged In', user_id: 'u1', properties: props(50) })).outcome).toBe('send');
    expect(prepare(event({ type: 'track', event: 'Logged In', user_id: 'u1', properties: props(51) }))).toMatchObject({
      outcome: 'done',
      result: { status: 'rejected', code: 'too_many_params' },
    });
  });

  it('a non-numeric revenue on Purchase is rejected', () => {
    const result = prepare(event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { revenue: 'lots' } }));
    expect(result).toMatchObject({ outcome: 'done', result: { status: 'rejected', code: 'invalid_value' } });
  });

  it('a mapping field Leanplum does not have is rejected with the allowed list', () => {
    const result = prepare(event({ type: 'track', event: 'Logged In', user_id: 'u1', properties: { x: 1 } }), {
      events: { 'Logged In': { to: 'Login', fields: { amount: 'properties.x' } } },
    });
    expect(result).toMatchObject({ outcome: 'done', result: { status: 'rejected', code: 'unknown_field' } });
  });

  it('transform is deterministic and reads time from the event', () => {
    const e = event({ type: 'track', event: 'Order Completed', user_id: 'u1', timestamp: '2025-06-06T09:00:00.5Z', properties: { revenue: 1 } });
    const a = integration.prepare(e);
    const b = integration.prepare(e);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ outcome: 'send', outgoing: { record: { time: 1749200400.5, value: 1 } } });
  });

  it.each([
    [6.4, '6.40'],
    [79.99, '79.99'],
    [5, '5.00'],
    [0, '0.00'],
    [1.125, '1.125'],
    [-2.5, '-2.50'],
  ])('formatMoney(%d) = %s', (n, text) => {
    expect(formatMoney(n)).toBe(text);
  });
});

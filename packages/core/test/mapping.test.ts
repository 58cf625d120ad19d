import { describe, expect, it } from 'vitest';
import { applyMapping, flattenObject, hasConsent, mergeMapping, parseEvent, type Mapping, type SignalEvent } from '@signal/core';

function event(input: Record<string, unknown>): SignalEvent {
  const r = parseEvent(input, { receivedAt: new Date('2025-06-06T09:00:00Z'), generateId: () => 'm' });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.event;
}

const preset: Mapping = {
  events: {
    'Order Completed': { to: 'Purchase', fields: { value: 'properties.revenue', currencyCode: 'properties.currency' } },
    'Product Viewed': 'Product Viewed',
    page: 'page',
  },
};

describe('applyMapping', () => {
  const order = event({ type: 'track', event: 'Order Completed', user_id: 'u', properties: { order_id: 'o1', revenue: 79.99, currency: 'USD', tax: 6.4 } });

  it('renames the event, moves field paths out of the properties', () => {
    expect(applyMapping(order, preset)).toEqual({
      action: 'send',
      mapped: { event: order, name: 'Purchase', fields: { value: 79.99, currencyCode: 'USD' }, properties: { order_id: 'o1', tax: 6.4 } },
    });
  });

  it('drops unmapped events by default, with the reason', () => {
    const out = applyMapping(event({ type: 'track', event: 'Coupon Applied', user_id: 'u' }), preset);
    expect(out).toEqual({ action: 'drop', reason: expect.stringContaining('"Coupon Applied" is not in the event map') });
  });

  it('passes unmapped events through under their own name when asked', () => {
    const out = applyMapping(event({ type: 'track', event: 'Coupon Applied', user_id: 'u', properties: { c: 1 } }), { ...preset, unmapped: 'passthrough' });
    expect(out).toMatchObject({ action: 'send', mapped: { name: 'Coupon Applied', properties: { c: 1 } } });
  });

  it('maps page and identify by call type; identify reads traits', () => {
    expect(applyMapping(event({ type: 'page', user_id: 'u', properties: { path: '/' } }), preset)).toMatchObject({ mapped: { name: 'page', properties: { path: '/' } } });
    const identify = event({ type: 'identify', user_id: 'u', traits: { email: 'e@x.io', plan: 'pro' } });
    expect(applyMapping(identify, { events: { identify: { to: 'profile', rename: { email: 'Email' } } } })).toMatchObject({ mapped: { name: 'profile', properties: { Email: 'e@x.io', plan: 'pro' } } });
  });

  it('applies global and rule renames and omits, rule wins', () => {
    const m: Mapping = { events: { 'Order Completed': { to: 'P', rename: { order_id: 'Charged ID' }, omit: ['tax'] } }, properties: { rename: { order_id: 'id', currency: 'Currency' }, omit: ['revenue'] } };
    expect(applyMapping(order, m)).toMatchObject({ mapped: { properties: { 'Charged ID': 'o1', Currency: 'USD' } } });
    expect((applyMapping(order, m) as { mapped: { properties: object } }).mapped.properties).not.toHaveProperty('tax');
  });

  it('flattens nested values when the rule says so', () => {
    const e = event({ type: 'track', event: 'X', user_id: 'u', properties: { a: { b: 1, c: [2, { d: 3 }] } } });
    expect(applyMapping(e, { events: { X: { to: 'X', flatten: true } } })).toMatchObject({ mapped: { properties: { 'a.b': 1, 'a.c.0': 2, 'a.c.1.d': 3 } } });
    expect(flattenObject({ x: { y: null } })).toEqual({ 'x.y': null });
  });

  it('include copies event values into the data by path; the event’s own property wins; absent paths add nothing', () => {
    const page = event({ type: 'page', name: 'Pricing', user_id: 'u', properties: { url: 'https://x.io/p?ref=1' }, context: { page: { path: '/p', url: 'https://x.io/p', title: 'Pricing' } } });
    const rule = { to: 'page', include: { name: 'name', path: 'context.page.path', url: 'context.page.url', title: 'context.page.title', referrer: 'context.page.referrer' } };
    expect(applyMapping(page, { events: { page: rule } })).toMatchObject({
      mapped: { properties: { url: 'https://x.io/p?ref=1', name: 'Pricing', path: '/p', title: 'Pricing' } },
    });
    const mapped = applyMapping(page, { events: { page: rule } }) as { mapped: { properties: object; fields: object } };
    expect(Object.keys(mapped.mapped.properties)).toEqual(['url', 'name', 'path', 'title']);
    expect(mapped.mapped.fields).toEqual({});
  });

  it('a plain-name override keeps the preset rule’s include', () => {
    const merged = mergeMapping({ events: { page: { to: 'page', include: { name: 'name' } } } }, { events: { page: 'Page Viewed' } });
    expect(merged.events?.['page']).toEqual({ to: 'Page Viewed', include: { name: 'name' } });
  });

  it('does not mutate the event', () => {
    const before = JSON.stringify(order);
    applyMapping(order, { events: { 'Order Completed': { to: 'P', flatten: true, omit: ['tax'] } } });
    expect(JSON.stringify(order)).toBe(before);
  });
});

describe('mergeMapping', () => {
  it('a plain name over a preset rule renames it and keeps its fields', () => {
    const merged = mergeMapping(preset, { events: { 'Order Completed': 'Order' } });
    expect(merged.events?.['Order Completed']).toEqual({ to: 'Order', fields: { value: 'properties.revenue', currencyCode: 'properties.currency' } });
  });

  it('adds events, drops events, and keeps the preset untouched', () => {
    const merged = mergeMapping(preset, { events: { 'Signed Up': 'Sign Up', 'Product Viewed': 'drop' }, unmapped: 'passthrough' });
    expect(merged.events?.['Signed Up']).toBe('Sign Up');
    expect(merged.events?.['Product Viewed']).toBe('drop');
    expect(merged.unmapped).toBe('passthrough');
    expect(preset.events?.['Product Viewed']).toBe('Product Viewed');
  });

  it('merges rule objects key by key', () => {
    const merged = mergeMapping(preset, { events: { 'Order Completed': { to: 'Purchase', omit: ['coupon'] } } });
    expect(merged.events?.['Order Completed']).toEqual({ to: 'Purchase', fields: { value: 'properties.revenue', currencyCode: 'properties.currency' }, omit: ['coupon'] });
  });
});

describe('hasConsent', () => {
  const withConsent = event({ type: 'page', user_id: 'u', context: { consent: { categories: ['Marketing', 'analytics'] } } });
  it('requires every listed category, case-insensitively', () => {
    expect(hasConsent(withConsent, ['marketing'])).toBe(true);
    expect(hasConsent(withConsent, ['marketing', 'ads'])).toBe(false);
    expect(hasConsent(event({ type: 'page', user_id: 'u' }), ['marketing'])).toBe(false);
    expect(hasConsent(event({ type: 'page', user_id: 'u' }), [])).toBe(true);
  });
});

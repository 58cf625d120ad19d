import { useFakeVendor } from '@signal/core/testkit';
import { describe, expect, it } from 'vitest';
import { deliver, event, form, ok, settings, type RecordedRequest } from './fixtures.js';

// Issue #13, Leanplum: skipped actions, transient per-action failures, key errors,
// merging anonymous devices, standard traits, name rules and page names.
const fake = useFakeVendor(ok);

const track = (props: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  event({ type: 'track', event: 'Product Viewed', user_id: 'u1', properties: props, ...extra });
const answer = (response: unknown[]) => () => ({ status: 200, body: { response } });
const actions = (req: RecordedRequest) => (JSON.parse(req.body) as { data: Record<string, unknown>[] }).data;

describe('reading Leanplum’s per-action answer', () => {
  it('success:true with an error is a skipped action: rejected with Leanplum’s message, shown in the delivery log', async () => {
    fake.respond(answer([{ success: true, error: { message: 'Event name is not allowed.' } }]));
    const { results, exchanges } = await deliver(fake, [track()]);
    expect(results).toEqual([{ status: 'rejected', code: 'leanplum_skipped', message: 'Leanplum: action skipped: Event name is not allowed.' }]);
    expect(exchanges[0]!.response!.body).toContain('Event name is not allowed.');
  });

  it.each([
    'Request failed due to concurrent requests to the same profile ID',
    'Per device rate limit exceeded.',
    'Internal error; please try again later',
  ])('a transient per-action failure (%s) is retried', async (message) => {
    fake.respond(answer([{ success: false, error: { message } }]));
    const { results } = await deliver(fake, [track()]);
    expect(results).toEqual([{ status: 'retry', reason: `Leanplum: ${message}` }]);
  });

  it('in a multi call, only the action that hit the device lock is retried; the others are final', async () => {
    fake.respond(
      answer([
        { success: true },
        { success: false, error: { message: 'Request failed due to concurrent requests to the same profile ID' } },
        { success: false, error: { message: 'Invalid params.' } },
      ]),
    );
    const events = ['a', 'b', 'c'].map((u) => event({ type: 'track', event: 'Logged In', user_id: u }));
    const { results } = await deliver(fake, events, { settings: { ...settings, batch: true } });
    expect(results.map((r) => r.status)).toEqual(['delivered', 'retry', 'rejected']);
  });

  it.each([
    ['HTTP 200, success:false', 200],
    ['HTTP 400', 400],
  ])('"Invalid access key" (%s) is auth: it pauses the integration instead of rejecting events', async (_, status) => {
    fake.respond(() => ({ status, body: { response: [{ success: false, error: { message: 'Invalid access key' } }] } }));
    const { results } = await deliver(fake, [track()]);
    expect(results[0]!.status).toBe('auth');
    expect((results[0] as { message: string }).message).toContain('Invalid access key');
  });
});

describe('merging the anonymous device into the user', () => {
  it('identify with user_id and anonymous_id sends userId and deviceId together', async () => {
    await deliver(fake, [event({ type: 'identify', user_id: 'u_55021', anonymous_id: 'anon-7', traits: { plan: 'pro' } })]);
    expect(form(fake.requests[0]!)).toEqual([
      ['userId', 'u_55021'],
      ['deviceId', 'anon-7'],
      ['userAttributes', '{"plan":"pro"}'],
    ]);
  });

  it('in a multi call too; a track with both ids still carries only userId', async () => {
    await deliver(
      fake,
      [event({ type: 'identify', user_id: 'u1', anonymous_id: 'anon-1', traits: { plan: 'pro' } }), event({ type: 'track', event: 'Logged In', user_id: 'u1', anonymous_id: 'anon-1' })],
      { settings: { ...settings, batch: true } },
    );
    const [identify, login] = actions(fake.requests[0]!);
    expect(identify).toEqual({ action: 'setUserAttributes', userId: 'u1', deviceId: 'anon-1', userAttributes: { plan: 'pro' } });
    expect(login).toEqual({ action: 'track', userId: 'u1', event: 'Login', time: 1749200400 });
  });
});

describe('Segment’s standard traits', () => {
  it('address, locale and createdAt fill Leanplum’s own user fields; the rest of address stays an attribute; company is JSON text', async () => {
    const identify = event({
      type: 'identify',
      user_id: 'u1',
      context: { locale: 'nb-NO' },
      traits: {
        email: 'kari@example.com',
        address: { street: 'Karl Johans gate 1', city: 'Oslo', state: 'Oslo', postalCode: '0154', country: 'no' },
        company: { name: 'Acme', plan: 'enterprise' },
        createdAt: '2025-01-01T00:00:00Z',
      },
    });
    const { results } = await deliver(fake, [identify]);
    expect(results).toEqual([{ status: 'delivered' }]);
    const fields = form(fake.requests[0]!);
    expect(fields).toEqual([
      ['userId', 'u1'],
      ['userAttributes', JSON.stringify({ email: 'kari@example.com', address: JSON.stringify({ street: 'Karl Johans gate 1', postalCode: '0154' }), company: JSON.stringify({ name: 'Acme', plan: 'enterprise' }) })],
      ['locale', 'nb-NO'],
      ['country', 'NO'],
      ['region', 'Oslo'],
      ['city', 'Oslo'],
      ['created', '1735689600'],
    ]);
  });

  it('a country that is not a two-letter code stays in the address attribute (Leanplum’s country field takes ISO codes)', async () => {
    await deliver(fake, [event({ type: 'identify', user_id: 'u1', traits: { address: { city: 'Oslo', country: 'Norway' }, locale: 'en-GB' } })]);
    expect(form(fake.requests[0]!)).toEqual([
      ['userId', 'u1'],
      ['userAttributes', '{"address":"{\\"country\\":\\"Norway\\"}"}'],
      ['locale', 'en-GB'],
      ['city', 'Oslo'],
    ]);
  });

  it('top-level city/country/region traits fill the fields too', async () => {
    await deliver(fake, [event({ type: 'identify', user_id: 'u1', traits: { city: 'Lyon', region: 'ARA', country: 'FR', plan: 'free' } })]);
    expect(form(fake.requests[0]!)).toEqual([
      ['userId', 'u1'],
      ['userAttributes', '{"plan":"free"}'],
      ['country', 'FR'],
      ['region', 'ARA'],
      ['city', 'Lyon'],
    ]);
  });
});

describe('Leanplum’s naming rules, per event, naming the rule', () => {
  const badNames: [string, RegExp][] = [
    ['a,b', /may not contain , \| " \{ or \}/],
    ['a|b', /may not contain/],
    ['say "hi"', /may not contain/],
    ['{x}', /may not contain/],
    ['tab\there', /tabs or line breaks/],
    ['two\nlines', /tabs or line breaks/],
    ['12345', /purely numeric/],
    ['3.14', /purely numeric/],
    ['.hidden', /start with \. or -/],
    ['-dash', /start with \. or -/],
    ['path/', /end with \//],
    ['x'.repeat(140), /1–139 characters \(it has 140\)/],
  ];

  it.each(badNames)('event name %j → rejected invalid_event_name', async (name, rule) => {
    const { results } = await deliver(fake, [track()], { mapping: { events: { 'Product Viewed': name } } });
    expect(fake.requests).toHaveLength(0);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'invalid_event_name' });
    expect((results[0] as { message: string }).message).toMatch(rule);
  });

  it.each(badNames)('param name %j → rejected invalid_param_name', async (name, rule) => {
    const { results } = await deliver(fake, [track({ [name]: 1 })]);
    expect(fake.requests).toHaveLength(0);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'invalid_param_name' });
    expect((results[0] as { message: string }).message).toMatch(rule);
  });

  it.each(badNames)('user attribute name %j → rejected invalid_attribute_name', async (name, rule) => {
    const { results } = await deliver(fake, [event({ type: 'identify', user_id: 'u1', traits: { [name]: 1 } })]);
    expect(results[0]).toMatchObject({ status: 'rejected', code: 'invalid_attribute_name' });
    expect((results[0] as { message: string }).message).toMatch(rule);
  });

  it('one bad event does not hold back the others', async () => {
    const { results } = await deliver(fake, [track({ 'a,b': 1 }), track({ ok: 1 })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'delivered']);
    expect(fake.requests).toHaveLength(1);
  });

  it.each(['Sign Up', 'a.b', 'v1.2-beta', 'ends.', '42 answers', 'é'])('%j is a fine name', async (name) => {
    const { results } = await deliver(fake, [track({ [name]: 1 })], { mapping: { events: { 'Product Viewed': name } } });
    expect(results).toEqual([{ status: 'delivered' }]);
  });
});

describe('page calls keep the page', () => {
  it('name, path, url, title and referrer go into params (from context.page when not in properties)', async () => {
    const page = event({
      type: 'page',
      name: 'Pricing',
      user_id: 'u1',
      properties: { plan_shown: 'pro' },
      context: { page: { path: '/pricing', url: 'https://shop.example/pricing', title: 'Pricing – Shop', referrer: 'https://google.com/' } },
    });
    await deliver(fake, [page]);
    const params = JSON.parse(new URLSearchParams(fake.requests[0]!.body).get('params')!);
    expect(params).toEqual({ plan_shown: 'pro', name: 'Pricing', path: '/pricing', url: 'https://shop.example/pricing', title: 'Pricing – Shop', referrer: 'https://google.com/' });
  });

  it('page properties of the same name win (analytics.js sends them in properties)', async () => {
    await deliver(fake, [event({ type: 'page', name: 'Home', user_id: 'u1', properties: { path: '/?utm=x', url: 'https://x/?utm=x' }, context: { page: { path: '/', url: 'https://x/' } } })]);
    const params = JSON.parse(new URLSearchParams(fake.requests[0]!.body).get('params')!);
    expect(params).toEqual({ path: '/?utm=x', url: 'https://x/?utm=x', name: 'Home' });
  });
});

describe('line items within Leanplum’s limits', () => {
  it('the preset leaves products out of Purchase; a rule that keeps them sends one JSON-encoded products param', async () => {
    const order = event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { order_id: 'o1', revenue: 10, currency: 'EUR', products: [{ sku: 'A', price: 10 }, { sku: 'B', price: 0 }] } });
    await deliver(fake, [order]);
    expect(JSON.parse(new URLSearchParams(fake.requests[0]!.body).get('params')!)).toEqual({ order_id: 'o1' });
    fake.reset();
    await deliver(fake, [order], { mapping: { events: { 'Order Completed': { to: 'Purchase', omit: [] } } } });
    const params = JSON.parse(new URLSearchParams(fake.requests[0]!.body).get('params')!);
    expect(params).toEqual({ order_id: 'o1', products: '[{"sku":"A","price":10},{"sku":"B","price":0}]' });
    expect(Object.keys(params)).toHaveLength(2);
  });
});

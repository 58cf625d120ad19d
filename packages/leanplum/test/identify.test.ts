import { useFakeVendor } from '@signal/core/testkit';
import { describe, expect, it } from 'vitest';
import { deliver, event, form, ok } from './fixtures.js';

// identify → action=setUserAttributes: personal attributes go there, never on track calls.
const fake = useFakeVendor(ok);

describe('identify', () => {
  it('sends setUserAttributes with the traits as JSON, types kept', async () => {
    const { results } = await deliver(fake, [event({ type: 'identify', user_id: 'u_55021', traits: { email: 'jo@example.com', age: 31, vip: true, nickname: null } })]);
    expect(results).toEqual([{ status: 'delivered' }]);
    const req = fake.requests[0]!;
    expect(req.path).toBe('/api?action=setUserAttributes&appId=app_XXXX&clientKey=prod_XXXX&apiVersion=1.0.6');
    expect(form(req)).toEqual([
      ['userId', 'u_55021'],
      ['userAttributes', '{"email":"jo@example.com","age":31,"vip":true,"nickname":null}'],
    ]);
  });

  it('anonymous identify uses deviceId', async () => {
    await deliver(fake, [event({ type: 'identify', anonymous_id: 'anon-7', traits: { plan: 'free' } })]);
    expect(form(fake.requests[0]!)[0]).toEqual(['deviceId', 'anon-7']);
  });

  it('nested traits are sent as JSON text (one attribute name each), or flattened when the mapping says so', async () => {
    const nested = event({ type: 'identify', user_id: 'u1', traits: { company: { name: 'Acme', plan: 'pro' }, tags: ['a', 'b'] } });
    const first = await deliver(fake, [nested]);
    expect(first.results).toEqual([{ status: 'delivered' }]);
    expect(new URLSearchParams(fake.requests[0]!.body).get('userAttributes')).toBe('{"company":"{\\"name\\":\\"Acme\\",\\"plan\\":\\"pro\\"}","tags":"[\\"a\\",\\"b\\"]"}');
    fake.reset();
    await deliver(fake, [nested], { mapping: { events: { identify: { to: 'setUserAttributes', flatten: true } } } });
    expect(new URLSearchParams(fake.requests[0]!.body).get('userAttributes')).toBe('{"company.name":"Acme","company.plan":"pro","tags.0":"a","tags.1":"b"}');
  });

  it('traits remembered in context.traits are not copied onto track calls', async () => {
    await deliver(fake, [event({ type: 'track', event: 'Logged In', user_id: 'u1', context: { traits: { email: 'jo@example.com' } } })]);
    expect(fake.requests[0]!.body).not.toContain('example.com');
  });
});

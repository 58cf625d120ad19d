import { describe, expect, it } from 'vitest';
import { deliver, event, useReceiver } from './receiver.js';

// Every example in vendor-docs/leanplum-webhooks.txt, checked on what the receiving server recorded.
const receiver = useReceiver();

const mary = event({ type: 'track', event: 'Signed Up', user_id: 'u1' });

describe('doc: content type and Data variables', () => {
  it('x-www-form-urlencoded body is exactly first_name=Mary&last_name=Doe', async () => {
    const settings = { url: 'https://hooks.example.com/signal', content_type: 'application/x-www-form-urlencoded', data: { first_name: 'Mary', last_name: 'Doe' } };
    const { results } = await deliver(settings, [mary], receiver);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.body).toBe('first_name=Mary&last_name=Doe');
    expect(receiver.requests[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(receiver.requests[0]!.method).toBe('POST');
  });

  it('application/json body is exactly the doc example (two-space indent)', async () => {
    const settings = { url: 'https://hooks.example.com/signal', content_type: 'application/json', data: { first_name: 'Mary', last_name: 'Doe' } };
    await deliver(settings, [mary], receiver);
    expect(receiver.requests[0]!.body).toBe('{\n  "first_name": "Mary",\n  "last_name": "Doe"\n}');
    expect(receiver.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('the default content type is application/json', async () => {
    await deliver({ url: 'https://hooks.example.com/signal', data: { first_name: 'Mary', last_name: 'Doe' } }, [mary], receiver);
    expect(receiver.requests[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({ first_name: 'Mary', last_name: 'Doe' });
  });

  it('data values personalised from the user (Jinja in Leanplum, {{ }} here)', async () => {
    const identify = event({ type: 'identify', user_id: 'u9', traits: { first_name: 'Mary', last_name: 'Doe' } });
    const settings = { url: 'https://hooks.example.com/signal', content_type: 'application/x-www-form-urlencoded', data: { first_name: '{{ traits.first_name }}', last_name: '{{traits.last_name}}' } };
    await deliver(settings, [identify], receiver);
    expect(receiver.requests[0]!.body).toBe('first_name=Mary&last_name=Doe');
  });
});

describe('doc: Authentication (https://username:password@host)', () => {
  it('sends the credentials as a Basic Authorization header and not in the URL', async () => {
    const { exchanges } = await deliver({ url: 'https://username:password@example.com' }, [mary], receiver);
    const req = receiver.requests[0]!;
    expect(req.headers.authorization).toBe('Basic dXNlcm5hbWU6cGFzc3dvcmQ='); // base64("username:password")
    expect(req.path).toBe('/');
    expect(exchanges[0]!.request.url).not.toContain('username');
    expect(JSON.stringify(exchanges)).not.toContain('password');
  });
});

describe('doc: set a user attribute using the Leanplum API', () => {
  const url =
    'https://api.leanplum.com/api?action=setUserAttributes&appId=app_123&clientKey=prod_abc&apiVersion=1.0.6' +
    '&userId={{ user_id }}&userAttributes={"currentMemberStatus":"{{ properties.newStatus }}"}';

  it('an updateStatus event with newStatus "Gold" calls setUserAttributes with values URL-encoded', async () => {
    const update = event({ type: 'track', event: 'updateStatus', user_id: 'user 42/é', properties: { newStatus: 'Gold' } });
    const { results } = await deliver({ url }, [update], receiver);
    expect(results).toEqual([{ status: 'delivered' }]);
    const req = receiver.requests[0]!;
    expect(req.path).toBe(
      '/api?action=setUserAttributes&appId=app_123&clientKey=prod_abc&apiVersion=1.0.6' +
        '&userId=user%2042%2F%C3%A9&userAttributes={%22currentMemberStatus%22:%22Gold%22}',
    );
    const query = new URL(req.path, 'http://x').searchParams;
    expect(query.get('userId')).toBe('user 42/é');
    expect(JSON.parse(query.get('userAttributes')!)).toEqual({ currentMemberStatus: 'Gold' });
  });

  it('a value cannot break out of its query parameter', async () => {
    const update = event({ type: 'track', event: 'updateStatus', user_id: 'u1', properties: { newStatus: 'Gold"}&appId=evil#x' } });
    await deliver({ url }, [update], receiver);
    const query = new URL(receiver.requests[0]!.path, 'http://x').searchParams;
    expect(query.getAll('appId')).toEqual(['app_123']);
    // URL-encoded, not JSON-escaped: the value stays inside its parameter (see README).
    expect(query.get('userAttributes')).toBe('{"currentMemberStatus":"Gold"}&appId=evil#x"}');
  });

  it('troubleshooting: an event without the parameter renders it empty (trigger the webhook off the event that carries it)', async () => {
    const other = event({ type: 'track', event: 'App Opened', user_id: 'u1' });
    const { results } = await deliver({ url }, [other], receiver);
    expect(results).toEqual([{ status: 'delivered' }]);
    const query = new URL(receiver.requests[0]!.path, 'http://x').searchParams;
    expect(JSON.parse(query.get('userAttributes')!)).toEqual({ currentMemberStatus: '' });
  });

  it('masks the clientKey from the URL in the delivery log', async () => {
    const update = event({ type: 'track', event: 'updateStatus', user_id: 'u1', properties: { newStatus: 'Gold' } });
    const { exchanges } = await deliver({ url }, [update], receiver);
    expect(receiver.requests[0]!.path).toContain('clientKey=prod_abc');
    expect(JSON.stringify(exchanges)).not.toContain('prod_abc');
  });
});

describe('doc: Retries (408, 409, 429 and 500 through 599 are retried; others are not)', () => {
  const settings = { url: 'https://hooks.example.com/signal' };
  it.each([408, 409, 429, 500, 503, 599])('HTTP %i → retry', async (status) => {
    receiver.respond(() => ({ status }));
    const { results } = await deliver(settings, [mary], receiver);
    expect(results[0]!.status).toBe('retry');
  });

  it('429 with Retry-After: 120 → retry no sooner than 120 s', async () => {
    receiver.respond(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    const { results } = await deliver(settings, [mary], receiver);
    expect(results).toEqual([{ status: 'retry', reason: 'HTTP 429', retryAfterMs: 120_000 }]);
  });

  it.each([400, 404, 410, 422])('HTTP %i → rejected, not retried', async (status) => {
    receiver.respond(() => ({ status }));
    const { results } = await deliver(settings, [mary], receiver);
    expect(results).toEqual([{ status: 'rejected', code: `http_${status}`, message: `HTTP ${status}` }]);
  });

  it.each([401, 403])('HTTP %i → auth (pauses the integration; a deliberate deviation, see README)', async (status) => {
    receiver.respond(() => ({ status }));
    const { results } = await deliver(settings, [mary], receiver);
    expect(results[0]!.status).toBe('auth');
  });

  it.each([200, 201, 202, 204])('HTTP %i → delivered', async (status) => {
    receiver.respond(() => ({ status }));
    const { results } = await deliver(settings, [mary], receiver);
    expect(results).toEqual([{ status: 'delivered' }]);
  });
});

import { createHmac, timingSafeEqual } from 'node:crypto';
import { createIntegration, type Outgoing } from '@signal/core';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import webhook from '../src/index.js';
import { deliver, event, useReceiver } from './receiver.js';

// Optional request signing (issue #13): Standard Webhooks headers, HMAC-SHA256 over id.timestamp.body.
const receiver = useReceiver();
const url = 'https://hooks.example.com/signal';
const rawSecret = 'sig-secret-0123456789abcdefXYZ';
const whsec = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

/** The README's verification snippet, as a receiver would write it with node:crypto. */
function verifySignal(secret: string, headers: Record<string, string | undefined>, body: string, nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = 300): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false; // too old (or from the future): a replay
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((s) => {
    const [version, value = ''] = s.split(',');
    const given = Buffer.from(value, 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const order = () => event({ type: 'track', event: 'Order Completed', user_id: 'u1', properties: { revenue: 10 } });

describe('signing_secret', () => {
  it('without it, no signature headers are sent', async () => {
    await deliver({ url }, [order()], receiver);
    expect(receiver.requests[0]!.headers['webhook-signature']).toBeUndefined();
  });

  it('signs each request; a Standard Webhooks library (whsec_ secret) verifies what the receiver got', async () => {
    const e = order();
    const { results } = await deliver({ url, signing_secret: whsec }, [e], receiver);
    expect(results).toEqual([{ status: 'delivered' }]);
    const req = receiver.requests[0]!;
    expect(req.headers['webhook-id']).toBe(e.message_id);
    expect(req.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(whsec).verify(req.body, req.headers)).toMatchObject({ event: 'Order Completed' });
    expect(verifySignal(whsec, req.headers, req.body)).toBe(true);
  });

  it('a plain secret is used as its UTF-8 bytes (Standard Webhooks’ raw format)', async () => {
    await deliver({ url, signing_secret: rawSecret, data: { id: '{{ message_id }}' } }, [order()], receiver);
    const req = receiver.requests[0]!;
    expect(new Webhook(rawSecret, { format: 'raw' }).verify(req.body, req.headers)).toBeTruthy();
    expect(verifySignal(rawSecret, req.headers, req.body)).toBe(true);
  });

  it('a changed body, another secret or an old timestamp fail verification', async () => {
    await deliver({ url, signing_secret: rawSecret }, [order()], receiver);
    const req = receiver.requests[0]!;
    expect(verifySignal(rawSecret, req.headers, req.body.replace('10', '99'))).toBe(false);
    expect(verifySignal(`${rawSecret}x`, req.headers, req.body)).toBe(false);
    expect(verifySignal(rawSecret, req.headers, req.body, Number(req.headers['webhook-timestamp']) + 301)).toBe(false);
    expect(() => new Webhook(rawSecret, { format: 'raw' }).verify(req.body.replace('10', '99'), req.headers)).toThrow();
  });

  it('the timestamp is the send time from the clock the runner passes, and each attempt is signed anew', async () => {
    const integration = createIntegration(webhook, { settings: { url, signing_secret: rawSecret } });
    const prepared = integration.prepare(order());
    if (prepared.outcome !== 'send') throw new Error('expected send');
    const batch: Outgoing[] = [prepared.outgoing];
    await integration.send(batch, receiver.http, undefined, () => 1_749_200_400_900);
    await integration.send(batch, receiver.http, undefined, () => 1_749_200_460_000);
    const [first, retry] = receiver.requests;
    expect(first!.headers['webhook-timestamp']).toBe('1749200400');
    expect(retry!.headers['webhook-timestamp']).toBe('1749200460');
    expect(retry!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(retry!.headers['webhook-signature']).not.toBe(first!.headers['webhook-signature']);
    expect(verifySignal(rawSecret, first!.headers, first!.body, 1_749_200_401)).toBe(true);
    expect(verifySignal(rawSecret, retry!.headers, retry!.body, 1_749_200_461)).toBe(true);
  });

  it('a batch is signed as a whole, with a stable batch id', async () => {
    const events = [order(), order()];
    await deliver({ url, signing_secret: whsec, batch: { max_items: 10 } }, events, receiver);
    await deliver({ url, signing_secret: whsec, batch: { max_items: 10 } }, events, receiver);
    const [a, b] = receiver.requests;
    expect(a!.headers['webhook-id']).toMatch(/^batch_[0-9a-f]{32}$/);
    expect(b!.headers['webhook-id']).toBe(a!.headers['webhook-id']);
    expect(new Webhook(whsec).verify(a!.body, a!.headers)).toHaveLength(2);
  });

  it('the secret is masked in the delivery log and errors, and never echoed by settings errors', async () => {
    receiver.respond((req) => ({ status: 500, body: `echo ${rawSecret} ${req.headers['webhook-signature']}` }));
    const { results, exchanges } = await deliver({ url, signing_secret: rawSecret }, [order()], receiver);
    expect(JSON.stringify({ results, exchanges })).not.toContain(rawSecret);
    let message = '';
    try {
      createIntegration(webhook, { settings: { url, signing_secret: 'short-secret' } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/settings\.signing_secret: must be at least 24 characters/);
    expect(message).not.toContain('short-secret');
  });

  it.each([
    ['whsec_not*base64', /not base64/],
    [`whsec_${Buffer.from('short').toString('base64')}`, /24–64 bytes/],
    ['tooShort', /at least 24 characters/],
  ])('refuses the secret %s, naming the field', (secret, message) => {
    expect(() => createIntegration(webhook, { settings: { url, signing_secret: secret } })).toThrow(message);
  });

  it.each(['webhook-signature', 'Webhook-Id', 'x-signal-message-id'])('the %s header cannot be set by hand', (name) => {
    expect(() => createIntegration(webhook, { settings: { url, headers: { [name]: 'x' } } })).toThrow(new RegExp(`settings\\.headers\\.${name}: cannot be set here`));
  });
});

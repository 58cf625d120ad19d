import { createIntegration, deliverAll } from '@signal/core';
import { describe, expect, it } from 'vitest';
import webhook from '../src/index.js';
import { event, useReceiver } from './receiver.js';

const receiver = useReceiver();

const password = 'p@ss:w0rd/é';
const settings = { url: `https://hook%20user:${encodeURIComponent(password)}@hooks.example.com/in?x=1`, data: { echo: '{{ properties.echo }}' } };

describe('basic auth from user:pass@ in the URL', () => {
  it('decodes percent-encoding and sends Authorization: Basic base64(user:pass)', async () => {
    await deliverAll(createIntegration(webhook, { settings }), [event({ type: 'track', event: 'X', user_id: 'u1' })], receiver.http);
    const header = receiver.requests[0]!.headers.authorization!;
    expect(header.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(header.slice(6), 'base64').toString('utf8')).toBe(`hook user:${password}`);
    expect(receiver.requests[0]!.path).toBe('/in?x=1');
  });

  it('the delivery log shows neither the password nor the header value, even when the vendor echoes them', async () => {
    receiver.respond((req) => ({ status: 401, body: `denied ${req.headers.authorization} for ${password}` }));
    const integration = createIntegration(webhook, { settings });
    const leaky = event({ type: 'track', event: 'X', user_id: 'u1', properties: { echo: password } });
    const { results, exchanges } = await deliverAll(integration, [leaky], receiver.http);
    expect(results[0]!.status).toBe('auth');
    const header = receiver.requests[0]!.headers.authorization!;
    const visible = JSON.stringify({ results, exchanges });
    expect(receiver.requests[0]!.body).toContain(password); // the receiver did get the data
    for (const secret of [password, encodeURIComponent(password), header, header.slice(6)]) expect(visible).not.toContain(secret);
    expect(exchanges[0]!.request.headers.authorization).toBe('[REDACTED]');
    expect(exchanges[0]!.request.url).toBe(`${receiver.url}/in?x=1`);
  });

  it('declares the password and derived values as secrets', () => {
    const integration = createIntegration(webhook, { settings });
    expect(webhook.secretValues!(integration.settings as never)).toContain(password);
    expect(integration.redact(`x ${password} y`)).toBe('x [REDACTED] y');
  });

  it('a user name alone (an API key as user) is secret too', () => {
    const integration = createIntegration(webhook, { settings: { url: 'https://sk_live_123456@hooks.example.com/in' } });
    expect(integration.redact('sk_live_123456')).toBe('[REDACTED]');
  });

  it('masks secret-looking custom header values wherever they appear', () => {
    const integration = createIntegration(webhook, { settings: { url: 'https://hooks.example.com/in', headers: { Authorization: 'Bearer tok_abcdef', 'X-Team': 'growth' } } });
    expect(integration.redact('tok_abcdef growth')).toBe('[REDACTED] growth');
  });
});

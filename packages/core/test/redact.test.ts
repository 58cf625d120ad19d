import {
  createHttpClient,
  createIntegration,
  createJsonMaskCheck,
  createRedactor,
  defineDestination,
  delivered,
  isSensitiveName,
  parseEvent,
  REDACTED,
  redactHeaders,
  redactUrl,
  redactValue,
  secretsInSettings,
} from '@signal/core';
import { startFakeVendor } from '@signal/core/testkit';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

// The one set of masking rules (packages/core/src/redact.ts).
describe('sensitive names', () => {
  it.each([
    'Authorization',
    'Proxy-Authorization',
    'X-Auth',
    'X-Custom-Auth',
    'x-api-key',
    'apikey',
    'clientKey',
    'X-CleverTap-Passcode',
    'access_token',
    'X-Hub-Signature-256',
    'sig',
    'X-Goog-Sig',
    'password',
    'passwd',
    'Cookie',
    'Set-Cookie',
    'X-Session-Id',
    'code',
    'x-functions-code',
    'client_secret',
  ])('%s is masked', (name) => expect(isSensitiveName(name)).toBe(true));

  it.each(['content-type', 'user-agent', 'x-signal-message-id', 'accept-encoding', 'content-encoding', 'x-launchdarkly-payload-id', 'keep-alive', 'action', 'appId', 'etag'])(
    '%s is not',
    (name) => expect(isSensitiveName(name)).toBe(false),
  );
});

describe('redactUrl', () => {
  it('masks user-info and sensitive query parameters, keeps the rest readable', () => {
    expect(redactUrl('https://user:p%40ss@hooks.example.com/x?key=k1&token=t1&code=c1&sig=s1&page=2#frag')).toBe(
      `https://user:${REDACTED}@hooks.example.com/x?key=${REDACTED}&token=${REDACTED}&code=${REDACTED}&sig=${REDACTED}&page=2#frag`,
    );
    expect(redactUrl('https://ghp_tokenonly@host.test/repo')).toBe(`https://${REDACTED}@host.test/repo`);
    expect(redactUrl('https://api.leanplum.com/api?appId=a&clientKey=prod_x&action=track')).toBe(`https://api.leanplum.com/api?appId=a&clientKey=${REDACTED}&action=track`);
    expect(redactUrl('https://x.test/a%20b?Api%5FKey=v')).toBe(`https://x.test/a%20b?Api%5FKey=${REDACTED}`);
    expect(redactUrl('https://x.test/plain')).toBe('https://x.test/plain');
  });

  it('the text redactor masks URL credentials anywhere in a text, and secret values in every encoding', () => {
    const redact = createRedactor(['s3cr3t/value"q']);
    expect(redact('failed: POST https://h.test/p?code=azure-fn-key&x=1 (503)')).toBe(`failed: POST https://h.test/p?code=${REDACTED}&x=1 (503)`);
    expect(redact(`a s3cr3t/value"q b ${encodeURIComponent('s3cr3t/value"q')} ${JSON.stringify('s3cr3t/value"q')}`)).not.toContain('s3cr3t');
  });
});

describe('redactHeaders and redactValue', () => {
  it('masks headers by name whatever their value, and known secrets in the others', () => {
    const redact = createRedactor(['known-secret-1']);
    expect(redactHeaders({ 'X-Auth': 'a', 'X-Custom-Auth': 'b', 'set-cookie': 'session=c', 'x-echo': 'has known-secret-1 inside', 'content-type': 'text/plain' }, redact)).toEqual({
      'X-Auth': REDACTED,
      'X-Custom-Auth': REDACTED,
      'set-cookie': REDACTED,
      'x-echo': `has ${REDACTED} inside`,
      'content-type': 'text/plain',
    });
  });

  it('walks values and keys, so a secret JSON would escape is still found', () => {
    const redact = createRedactor(['sk_"live"_1']);
    expect(redactValue({ a: ['x sk_"live"_1'], b: { 'sk_"live"_1': 1, url: 'https://h.test/?token=t' }, n: 2 }, redact)).toEqual({
      a: [`x ${REDACTED}`],
      b: { [REDACTED]: 1, url: `https://h.test/?token=${REDACTED}` },
      n: 2,
    });
  });
});

describe('an integration masks what its plugin did not declare', () => {
  it('finds URL credentials and nested header secrets in the settings', () => {
    expect(
      secretsInSettings({
        url: 'https://u:pw-123@h.test/p?code=azure-code-1&token={{ user_id }}&q=1',
        headers: { 'X-Custom-Auth': 'custom-auth-1', 'X-Other': 'plain-value' },
        project_key: 'default',
      }).sort(),
    ).toEqual(['azure-code-1', 'custom-auth-1', 'pw-123']);
  });

  it('the exchange it records masks request and response headers, the URL and bodies', async () => {
    const vendor = await startFakeVendor((req) => ({ status: 200, headers: { 'set-cookie': 'session=vendor-session-9', 'x-echo-auth': String(req.headers['x-custom-auth']) }, body: { echoed: req.headers['x-custom-auth'] } }));
    const plugin = defineDestination({
      id: 'leaky',
      name: 'Leaky',
      version: '1.0.0',
      settings: z.object({ url: z.string(), headers: z.record(z.string(), z.string()) }),
      secrets: [],
      presets: { default: { events: { 'Order Completed': 'order' } } },
      defaultPreset: 'default',
      limits: { maxBatchItems: 1, maxConcurrency: 1 },
      capabilities: { batching: false, identify: false },
      transform: (m, ctx) => ({ name: m.name, url: (ctx.settings as { url: string }).url }),
      buildRequest: (batch, ctx) => ({ method: 'POST', url: ctx.settings.url, headers: { ...ctx.settings.headers, 'content-type': 'application/json' }, body: JSON.stringify(batch[0]!.record) }),
      parseResponse: (_r, batch) => batch.map(() => delivered()),
    });
    const integration = createIntegration(plugin, { settings: { url: `${vendor.url}/hook?code=azure-code-2`, headers: { 'X-Custom-Auth': 'custom-auth-2' } } });
    const http = createHttpClient();
    try {
      const parsed = parseEvent({ type: 'track', event: 'Order Completed', userId: 'u', messageId: 'm' });
      if (!parsed.ok) throw new Error('bad event');
      const prepared = integration.prepare(parsed.event);
      if (prepared.outcome !== 'send') throw new Error('not sent');
      const stored = JSON.stringify(integration.redactRecord(prepared.outgoing.record));
      expect(stored).not.toContain('azure-code-2');
      const { exchange } = await integration.send([prepared.outgoing], http);
      const text = JSON.stringify(exchange);
      for (const secret of ['azure-code-2', 'custom-auth-2', 'vendor-session-9']) expect(text, secret).not.toContain(secret);
      expect(exchange.response?.headers['set-cookie']).toBe(REDACTED);
      expect(vendor.requests[0]?.path).toBe('/hook?code=azure-code-2');
    } finally {
      await http.close();
      await vendor.close();
    }
  });
});

// The delivery log's copy of a mapped record skips the walk when the JSON text proves masking changes nothing.
describe('createJsonMaskCheck', () => {
  const secrets = ['s3cr"et\\pass', 'plain-token-1234', 'a\bbackspace'];
  const redact = createRedactor(secrets);
  const mayMask = createJsonMaskCheck(secrets);
  const records: unknown[] = [
    { evtName: 'Product Viewed', evtData: { price: 19.99, tags: ['a', 'b'], nested: { ok: true, none: null } } },
    { text: 'carries s3cr"et\\pass inside' },
    { [`key-plain-token-1234`]: 1 },
    { escaped: JSON.stringify('s3cr"et\\pass') },
    { encoded: encodeURIComponent('s3cr"et\\pass') },
    { form: new URLSearchParams({ s: 's3cr"et\\pass' }).toString().slice(2) },
    { control: 'a\bbackspace' },
    { url: 'https://shop.example/item?id=7' },
    { url: 'https://user:pw@shop.example/item' },
    { url: 'https://shop.example/item?api_key=abc' },
    // A raw control character inside a URL: the string pattern reads through it, the JSON text's stops at the escape.
    { url: 'https://shop.example/item?id=7\b&token=abc' },
    { url: 'https://shop.example/item?id=7', quote: 'say "hi"' },
    { list: ['x', { deep: ['plain-token-1234'] }] },
    'plain-token-1234',
    42,
  ];

  it.each(records.map((r) => [JSON.stringify(r), r]))('never says "unchanged" when masking %s changes it', (_name, record) => {
    const json = JSON.stringify(record);
    const masked = JSON.stringify(redactValue(record, redact));
    if (masked !== json) expect(mayMask(json)).toBe(true);
  });

  it('lets the common record through, and stops every record with a secret or URL credentials', () => {
    expect(mayMask(JSON.stringify(records[0]))).toBe(false);
    expect(mayMask(JSON.stringify({ url: 'https://shop.example/item?id=7' }))).toBe(false);
    for (const i of [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 13]) expect(mayMask(JSON.stringify(records[i]))).toBe(true);
  });
});


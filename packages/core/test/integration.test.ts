import { describe, expect, it } from 'vitest';
import { createHttpClient, createIntegration, deliverAll, PayloadValidationError, parseEvent, type SignalEvent } from '@signal/core';
import { startFakeVendor } from '@signal/core/testkit';
import { exampleAccept, examplePlugin } from './fixtures/example-plugin.js';

function event(input: Record<string, unknown>): SignalEvent {
  const r = parseEvent(input, { generateId: () => 'm-1' });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.event;
}

describe('createIntegration', () => {
  it('names each bad setting with its path, without echoing values', () => {
    expect(() => createIntegration(examplePlugin, { settings: { api_key: 'short', region: 'mars' } })).toThrowError(
      expect.objectContaining({ kind: 'settings', issues: [expect.objectContaining({ path: 'settings.api_key' }), expect.objectContaining({ path: 'settings.region' })] }),
    );
  });

  it('refuses an unknown preset and lists the known ones', () => {
    expect(() => createIntegration(examplePlugin, { settings: { api_key: 'longenough' }, preset: 'nope' })).toThrow(/choose one of: default/);
  });

  it('drops events without the configured consent, saying which is missing', () => {
    const integration = createIntegration(examplePlugin, { settings: { api_key: 'longenough' }, consent: ['marketing', 'analytics'] });
    const p = integration.prepare(event({ type: 'track', event: 'Signed Up', user_id: 'u', context: { consent: { categories: ['analytics'] } } }));
    expect(p).toMatchObject({ outcome: 'done', result: { status: 'dropped', reason: 'no consent for: marketing' } });
  });

  it('turns a PayloadValidationError into a rejected result, with secrets masked', () => {
    const strict = { ...examplePlugin, transform: () => { throw new PayloadValidationError('bad value near longenough-secret', 'too_long'); } };
    const integration = createIntegration(strict, { settings: { api_key: 'longenough-secret' } });
    const p = integration.prepare(event({ type: 'track', event: 'Signed Up', user_id: 'u' }));
    expect(p).toMatchObject({ outcome: 'done', result: { status: 'rejected', code: 'too_long', message: 'bad value near [REDACTED]' } });
  });

  it('throws a ContractError when a plugin returns the wrong number of results', async () => {
    const vendor = await startFakeVendor(exampleAccept);
    const http = createHttpClient({ hostOverrides: { '*': vendor.url } });
    const lossy = { ...examplePlugin, parseResponse: () => [] };
    const integration = createIntegration(lossy, { settings: { api_key: 'longenough' } });
    await expect(deliverAll(integration, [event({ type: 'track', event: 'Signed Up', user_id: 'u' })], http)).rejects.toMatchObject({ kind: 'contract' });
    await http.close();
    await vendor.close();
  });

  it('records a redacted exchange: the API key header is masked, the body kept', async () => {
    const vendor = await startFakeVendor(exampleAccept);
    const http = createHttpClient({ hostOverrides: { '*': vendor.url } });
    const integration = createIntegration(examplePlugin, { settings: { api_key: 'longenough-secret' } });
    const { results, exchanges } = await deliverAll(integration, [event({ type: 'track', event: 'Order Completed', user_id: 'u', properties: { revenue: 5 } })], http);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(vendor.requests[0]?.headers['x-api-key']).toBe('longenough-secret');
    expect(exchanges[0]?.request.headers['x-api-key']).toBe('[REDACTED]');
    expect(JSON.parse(exchanges[0]!.request.body)).toMatchObject({ events: [{ name: 'purchase', data: { amount: 5 } }] });
    expect(exchanges[0]?.request.url).toBe(`${vendor.url}/v1/events`);
    await http.close();
    await vendor.close();
  });
});

describe('delivery log of a gzipped request', () => {
  it('shows the decoded JSON, redacted', async () => {
    const { gzipSync } = await import('node:zlib');
    const vendor = await startFakeVendor(exampleAccept);
    const http = createHttpClient({ hostOverrides: { '*': vendor.url } });
    const gzipped = {
      ...examplePlugin,
      buildRequest: (batch: Parameters<typeof examplePlugin.buildRequest>[0], ctx: Parameters<typeof examplePlugin.buildRequest>[1]) => {
        const plain = examplePlugin.buildRequest(batch, ctx);
        return { ...plain, headers: { ...plain.headers, 'content-encoding': 'gzip' }, body: gzipSync(`${plain.body as string}`.replace('purchase', 'purchase longenough-secret')) };
      },
    };
    const integration = createIntegration(gzipped, { settings: { api_key: 'longenough-secret' } });
    const { results, exchanges } = await deliverAll(integration, [event({ type: 'track', event: 'Order Completed', user_id: 'u', properties: { revenue: 5 } })], http);
    expect(results).toEqual([{ status: 'delivered' }]);
    expect(exchanges[0]?.request.body).toContain('"name":"purchase [REDACTED]"');
    await http.close();
    await vendor.close();
  });
});

describe('send when buildRequest throws', () => {
  it('sends nothing and gives every event the typed result, masked', async () => {
    const vendor = await startFakeVendor(exampleAccept);
    const http = createHttpClient({ hostOverrides: { '*': vendor.url } });
    const failing = { ...examplePlugin, buildRequest: () => { throw new PayloadValidationError('batch too odd for longenough-secret', 'odd'); } };
    const integration = createIntegration(failing, { settings: { api_key: 'longenough-secret' } });
    const { results, exchanges } = await deliverAll(integration, [event({ type: 'track', event: 'Signed Up', user_id: 'u' })], http);
    expect(results).toEqual([{ status: 'rejected', code: 'odd', message: 'batch too odd for [REDACTED]' }]);
    expect(exchanges[0]?.error).toContain('buildRequest failed');
    expect(vendor.requests).toHaveLength(0);
    await http.close();
    await vendor.close();
  });

  it('passes the caller clock to plugins', async () => {
    const vendor = await startFakeVendor(exampleAccept);
    const http = createHttpClient({ hostOverrides: { '*': vendor.url } });
    let seen = 0;
    const clocked = { ...examplePlugin, buildRequest: (b: Parameters<typeof examplePlugin.buildRequest>[0], ctx: Parameters<typeof examplePlugin.buildRequest>[1]) => { seen = ctx.now(); return examplePlugin.buildRequest(b, ctx); } };
    const integration = createIntegration(clocked, { settings: { api_key: 'longenough-secret' } });
    const prepared = integration.prepare(event({ type: 'track', event: 'Signed Up', user_id: 'u' }));
    if (prepared.outcome !== 'send') throw new Error('fixture');
    await integration.send([prepared.outgoing], http, undefined, () => 42);
    expect(seen).toBe(42);
    await http.close();
    await vendor.close();
  });
});

// The delivery log's copy of each mapped record (the runner stores this text per attempt).
describe('redactedRecordJson', () => {
  const integration = createIntegration(examplePlugin, { settings: { api_key: 'longenough-secret' } });
  const outgoingOf = (properties: Record<string, unknown>) => {
    const p = integration.prepare(event({ type: 'track', event: 'Order Completed', user_id: 'u', properties }));
    if (p.outcome !== 'send') throw new Error(`not sent: ${JSON.stringify(p)}`);
    return p.outgoing;
  };

  it('is the text prepare measured when nothing needs masking', () => {
    const o = outgoingOf({ revenue: 5, sku: 'p-1' });
    expect(o.json).toBe(JSON.stringify(o.record));
    expect(o.bytes).toBe(Buffer.byteLength(o.json!));
    expect(integration.redactedRecordJson(o)).toBe(o.json);
  });

  it('is the walked, masked record when a secret or URL credentials are in it', () => {
    const o = outgoingOf({ revenue: 5, echo: 'longenough-secret', link: 'https://u:p@h.example/' });
    const text = integration.redactedRecordJson(o)!;
    expect(text).toBe(JSON.stringify(integration.redactRecord(o.record)));
    expect(text).not.toContain('longenough-secret');
    expect(text).toContain('https://u:[REDACTED]@h.example/');
  });

  it('walks a record built outside prepare (it has no text)', () => {
    expect(integration.redactedRecordJson({ index: 0, messageId: 'm', userKey: 'u', record: { echo: 'longenough-secret' }, bytes: 0 })).toBe('{"echo":"[REDACTED]"}');
  });
});

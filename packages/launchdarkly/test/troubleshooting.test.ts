import { describe, expect, it } from 'vitest';
import { event, settings, useRun, TOKEN } from './harness.js';

// One test per bullet of the doc's Troubleshooting section, plus the retry cases.
const run = useRun();

const twoEvents = () => [event({ type: 'track', event: 'Signed Up' }), event({ type: 'track', event: 'Order Completed', properties: { revenue: 1 } })];

describe('troubleshooting', () => {
  it.each([401, 403])('%i → auth: the token is invalid or lacks importEventData', async (status) => {
    run.vendor.respond(() => ({ status, body: { code: 'unauthorized', message: 'Invalid access token' } }));
    const { results } = await run.deliver(twoEvents());
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r.status).toBe('auth');
      expect(r.status === 'auth' && r.message).toMatch(/importEventData/);
      expect(r.status === 'auth' && r.message).toContain('Invalid access token');
    }
  });

  it('404 → auth (configuration): the message names the project and environment keys and the events host', async () => {
    run.vendor.respond(() => ({ status: 404, body: { code: 'not_found', message: 'Unknown resource' } }));
    const { results } = await run.deliver(twoEvents(), { settings: { ...settings, project_key: 'shop-web', environment_key: 'staging' } });
    expect(results.map((r) => r.status)).toEqual(['auth', 'auth']);
    const message = results[0]!.status === 'auth' ? results[0]!.message : '';
    expect(message).toContain('"shop-web"');
    expect(message).toContain('"staging"');
    expect(message).toContain('events_host');
  });

  it('wrong cell: an EU/federal account on the default host gets a 404 that points at the other cells', async () => {
    run.vendor.respond(() => ({ status: 404 }));
    const { results } = await run.deliver(twoEvents());
    const message = results[0]!.status === 'auth' ? results[0]!.message : '';
    expect(message).toContain('events.launchdarkly.com');
    expect(message).toContain('events.eu.launchdarkly.com');
    expect(message).toContain('events.launchdarkly.us');
  });

  it('wrong cell, the other way: on the EU host, the 404 suggests the US and federal hosts', async () => {
    run.vendor.respond(() => ({ status: 404 }));
    const { results } = await run.deliver(twoEvents(), { settings: { ...settings, events_host: 'events.eu.launchdarkly.com' } });
    const message = results[0]!.status === 'auth' ? results[0]!.message : '';
    expect(message).toContain('from events.eu.launchdarkly.com');
    expect(message).toMatch(/use events\.launchdarkly\.com or events\.launchdarkly\.us/);
  });

  it('400 → rejected (malformed payload), with the vendor message kept', async () => {
    run.vendor.respond(() => ({ status: 400, body: { code: 'invalid_request', message: 'kind must be custom' } }));
    const { results } = await run.deliver(twoEvents());
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(results[0]).toMatchObject({ code: 'http_400' });
    expect(results[0]!.status === 'rejected' && results[0]!.message).toContain('kind must be custom');
  });

  it('202 → delivered; the doc\'s "202 but no results" cases are LaunchDarkly-side and still count as delivered', async () => {
    run.vendor.respond(() => ({ status: 202 }));
    const { results } = await run.deliver(twoEvents());
    expect(results).toEqual([{ status: 'delivered' }, { status: 'delivered' }]);
  });
});

describe('transient failures retry', () => {
  it('429 with Retry-After → retry not before the given time', async () => {
    run.vendor.respond(() => ({ status: 429, headers: { 'retry-after': '7' } }));
    const { results } = await run.deliver(twoEvents());
    expect(results).toEqual([
      { status: 'retry', reason: 'HTTP 429', retryAfterMs: 7000 },
      { status: 'retry', reason: 'HTTP 429', retryAfterMs: 7000 },
    ]);
  });

  it.each([500, 502, 503])('%i → retry', async (status) => {
    run.vendor.respond(() => ({ status }));
    const { results } = await run.deliver(twoEvents());
    expect(results.map((r) => r.status)).toEqual(['retry', 'retry']);
  });
});

describe('secrets', () => {
  it('the access token never appears in the exchange or the results (Authorization masked)', async () => {
    // A vendor that echoes the token back must not leak it into the delivery log either.
    run.vendor.respond((req) => ({ status: 401, body: { message: `token ${req.headers['authorization']} is not valid` } }));
    const { results, exchanges } = await run.deliver(twoEvents());
    expect(run.vendor.requests[0]!.headers['authorization']).toBe(TOKEN);
    expect(exchanges[0]!.request.headers['Authorization']).toBe('[REDACTED]');
    expect(JSON.stringify(exchanges)).not.toContain(TOKEN);
    expect(JSON.stringify(results)).not.toContain(TOKEN);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { silentLogger } from '@signal/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { startRunner, type Runner } from '../../src/runner.js';
import type { DeliveryEntry, EventDetail } from '../../src/spool/types.js';
import { configFor, eventually, normal, startVendors, type Vendors } from './helpers/vendors.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// The whole runner over real HTTP, real plugins, fake vendors; the vendors' recorded requests are the oracle.
let vendors: Vendors;
let runner: Runner;
let dir: string;
let seq = 0;
const KEY = 'test-write-key';
const ADMIN = 'e2e-admin-token-1';
/** The delivery log API, with the admin token (the admin surface never answers without one). */
const admin = (path: string) => fetch(`${runner.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
const final = new Set(['delivered', 'rejected', 'dropped', 'dead']);

const send = async (path: string, body: unknown) => {
  const res = await fetch(`${runner.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
};
const order = (user: string, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Order Completed',
  userId: user,
  messageId: `e2e-${++seq}`,
  properties: { order_id: `o-${seq}`, revenue: 64.5, currency: 'EUR', products: [{ product_id: 'p-1', price: 64.5, quantity: 1 }] },
  ...extra,
});
const detail = async (id: string) => (await (await admin(`/api/events/${id}`)).json()) as EventDetail;
const settled = (id: string, integrations = 4) =>
  eventually(async () => {
    const res = await admin(`/api/events/${id}`);
    if (res.status !== 200) return undefined;
    const d = (await res.json()) as EventDetail;
    return d.deliveries.length === integrations && d.deliveries.every((x) => final.has(x.state)) ? d : undefined;
  }, `event ${id} to settle`);
const stateOf = (d: EventDetail, integration: string) => d.deliveries.find((x) => x.integration === integration)!;
const requestsFor = (v: { requests: { body: string; path: string }[] }, messageOrOrder: string) => v.requests.filter((r) => decodeURIComponent(r.body + r.path).includes(messageOrOrder));

beforeAll(async () => {
  vendors = await startVendors();
  dir = mkdtempSync(join(tmpdir(), 'signal-e2e-'));
  linkWorkspacePlugins(dir);
  const text = configFor(vendors, { dbPath: join(dir, 'signal.db'), adminToken: ADMIN, retry: 'retry: { base_ms: 50, cap_ms: 200, max_attempts: 3, min_window_ms: 0 }' });
  const loaded = await loadConfigText(text, { file: 'e2e.yaml', dir, env: {} });
  runner = await startRunner(loaded, { logger: silentLogger, httpTimeoutMs: 500, engine: { lingerMs: 20, pollIntervalMs: 50 } });
});
afterAll(async () => {
  await runner?.stop();
  await Promise.all(Object.values(vendors ?? {}).map((v) => v.close()));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  for (const v of Object.values(vendors)) v.reset();
  vendors.leanplum.respond(normal.leanplum);
  vendors.clevertap.respond((req) => normal.clevertap(req.json<{ d: unknown[] }>().d.length));
  vendors.launchdarkly.respond(normal.launchdarkly);
  vendors.webhook.respond(normal.webhook);
});

describe('end to end', () => {
  it('a Segment track reaches Leanplum, CleverTap, LaunchDarkly and the webhook with the right fields', async () => {
    const event = order('user-1');
    await send('/v1/track', event);
    const d = await settled(event.messageId);
    expect(d.deliveries.map((x) => [x.integration, x.state]).sort()).toEqual([
      ['clevertap', 'delivered'],
      ['launchdarkly', 'delivered'],
      ['leanplum', 'delivered'],
      ['webhook', 'delivered'],
    ]);

    const lp = vendors.leanplum.requests.at(-1)!;
    const lpFields = { ...lp.query, ...lp.form() };
    expect(lpFields).toMatchObject({ action: 'track', event: 'Purchase', userId: 'user-1', appId: 'app_test', clientKey: 'prod_secret_client_key' });
    expect(Number(lpFields['value'])).toBe(64.5);
    expect(lpFields['currencyCode']).toBe('EUR');

    const ct = vendors.clevertap.requests.at(-1)!;
    expect(ct.headers['x-clevertap-passcode']).toBe('secret-passcode-1');
    const record = ct.json<{ d: Record<string, unknown>[] }>().d[0]!;
    expect(record).toMatchObject({ type: 'event', evtName: 'Charged', objectId: 'user-1' });
    expect(record['evtData']).toMatchObject({ 'Charged ID': event.properties.order_id, Amount: 64.5 });

    const ld = vendors.launchdarkly.requests.at(-1)!;
    expect(ld.path).toBe('/v2/event-data-import/default/production');
    expect(JSON.stringify(ld.json())).toContain('"order_completed"');
    expect(JSON.stringify(ld.json())).toContain('64.5');

    const hook = vendors.webhook.requests.at(-1)!;
    expect(hook.body).toContain(event.messageId);
    expect(hook.body).toContain('Order Completed');
  });

  it('the official Segment Node SDK, pointed at Signal, works unchanged', async () => {
    const analytics = new Analytics({ writeKey: KEY, host: runner.url, flushAt: 1 });
    const messageId = `sdk-${++seq}`;
    analytics.track({ userId: 'sdk-user', event: 'Order Completed', messageId, properties: { order_id: 'o-sdk', revenue: 5, currency: 'EUR' } });
    await analytics.closeAndFlush({ timeout: 5000 });
    const d = await settled(messageId);
    expect(stateOf(d, 'webhook').state).toBe('delivered');
    expect(requestsFor(vendors.webhook, messageId)).toHaveLength(1);
    expect(d.event).toMatchObject({ user_id: 'sdk-user', event: 'Order Completed', properties: { order_id: 'o-sdk' } });
  });

  it('the delivery log redacts secrets in the request it shows', async () => {
    const event = order('user-2');
    await send('/v1/track', event);
    await settled(event.messageId);
    const text = JSON.stringify(await detail(event.messageId));
    expect(text).toContain('[REDACTED]');
    for (const secret of ['prod_secret_client_key', 'secret-passcode-1', 'api-secret-token-1']) expect(text).not.toContain(secret);
  });

  it('vendor 500s, then recovery: retried and delivered, every attempt in the log', async () => {
    let calls = 0;
    vendors.webhook.respond(() => (++calls <= 2 ? { status: 500, body: 'down' } : normal.webhook()));
    const event = order('user-3');
    await send('/v1/track', event);
    const d = await settled(event.messageId);
    const hook = stateOf(d, 'webhook');
    expect(hook.state).toBe('delivered');
    expect(hook.attempts).toBe(3);
    expect(hook.history.map((h) => h.result.status)).toEqual(['retry', 'retry', 'delivered']);
    expect(requestsFor(vendors.webhook, event.messageId)).toHaveLength(3);
  });

  it('429 with Retry-After is retried no earlier than the vendor asked', async () => {
    let calls = 0;
    vendors.launchdarkly.respond(() => (++calls === 1 ? { status: 429, headers: { 'retry-after': '1' } } : normal.launchdarkly()));
    const event = order('user-4');
    await send('/v1/track', event);
    const d = await settled(event.messageId);
    const ld = stateOf(d, 'launchdarkly');
    expect(ld.state).toBe('delivered');
    expect(ld.history[0]!.result).toMatchObject({ status: 'retry', retryAfterMs: 1000 });
    expect(ld.history[1]!.at - ld.history[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(vendors.launchdarkly.requests).toHaveLength(2);
  });

  it('a timeout is retried; a vendor that never answers dead-letters after max_attempts', async () => {
    let calls = 0;
    vendors.webhook.respond(() => (++calls === 1 ? { fault: 'timeout' } : normal.webhook()));
    vendors.leanplum.respond(() => ({ fault: 'timeout' }));
    const event = order('user-5');
    await send('/v1/track', event);
    const d = await settled(event.messageId);
    expect(stateOf(d, 'webhook').history.map((h) => h.result.status)).toEqual(['retry', 'delivered']);
    const lp = stateOf(d, 'leanplum');
    expect(lp.state).toBe('dead');
    expect(lp.attempts).toBe(3);
    expect(vendors.leanplum.requests).toHaveLength(3);
    const dead = (await (await admin(`/api/deliveries?integration=leanplum&status=dead`)).json()) as { deliveries: DeliveryEntry[] };
    expect(dead.deliveries.map((x) => x.messageId)).toContain(event.messageId);
  });

  it('CleverTap partial: the refused record is rejected, the rest delivered', async () => {
    vendors.clevertap.respond((req) => {
      const d = req.json<{ d: { evtData?: Record<string, unknown> }[] }>().d;
      const bad = d.filter((r) => r.evtData?.['Charged ID'] === 'o-bad');
      return {
        status: 200,
        body: { status: bad.length === 0 ? 'success' : bad.length === d.length ? 'fail' : 'partial', processed: d.length - bad.length, unprocessed: bad.map((record) => ({ status: 'fail', code: 512, error: 'Invalid structure', record })) },
      };
    });
    const good = order('user-6');
    const bad = order('user-7', { properties: { order_id: 'o-bad', revenue: 1 } });
    await send('/v1/batch', { batch: [good, bad] });
    const [dg, db] = [await settled(good.messageId), await settled(bad.messageId)];
    expect(stateOf(dg, 'clevertap').state).toBe('delivered');
    expect(stateOf(db, 'clevertap').state).toBe('rejected');
    expect(stateOf(db, 'clevertap').lastResult).toMatchObject({ status: 'rejected', code: 'clevertap_512' });
  });

  it('Leanplum success:false is a failure visible in /api/deliveries', async () => {
    vendors.leanplum.respond(() => ({ status: 200, body: { response: [{ success: false, error: { message: 'Invalid event name' } }] } }));
    const event = order('user-8');
    await send('/v1/track', event);
    await settled(event.messageId);
    const failed = (await (await admin(`/api/deliveries?integration=leanplum&status=failed`)).json()) as { deliveries: DeliveryEntry[] };
    const entry = failed.deliveries.find((x) => x.messageId === event.messageId);
    expect(entry?.lastResult).toMatchObject({ message: expect.stringContaining('Invalid event name') });
  });

  it('/metrics counts deliveries, retries and dead letters per integration', async () => {
    const text = await (await fetch(`${runner.url}/metrics`)).text();
    const value = (name: string, integration: string) => Number(new RegExp(`${name}\\{integration="${integration}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    const log = async (integration: string, status: string) =>
      ((await (await admin(`/api/deliveries?integration=${integration}&status=${status}&limit=1000`)).json()) as { deliveries: unknown[] }).deliveries.length;
    expect(value('signal_events_delivered_total', 'webhook')).toBe(await log('webhook', 'delivered'));
    expect(value('signal_events_dead_lettered_total', 'leanplum')).toBe(await log('leanplum', 'dead'));
    expect(value('signal_events_retried_total', 'webhook')).toBeGreaterThanOrEqual(3);
    expect(value('signal_events_accepted_total', 'clevertap')).toBe(seq);
  });
});

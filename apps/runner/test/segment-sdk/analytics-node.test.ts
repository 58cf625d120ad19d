import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { silentLogger } from '@signal/core';
import { startFakeVendor, type FakeVendor, type RecordedRequest } from '@signal/core/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { startRunner, type Runner } from '../../src/runner.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// Segment's own Node SDK, unmodified, pointed at Signal's collector. The fake vendors'
// recorded requests are the oracle for what reached Leanplum, CleverTap and the webhook.
const WRITE_KEY = 'segment-sdk-write-key';
let runner: Runner;
let dir: string;
let vendors: { leanplum: FakeVendor; clevertap: FakeVendor; webhook: FakeVendor };
const final = new Set(['delivered', 'rejected', 'dropped', 'dead']);

async function settled(messageId: string, integrations: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const detail = await runner.spool.event(messageId);
    if (detail !== undefined && detail.deliveries.length === integrations && detail.deliveries.every((d) => final.has(d.state))) {
      expect(detail.deliveries.map((d) => `${d.integration}:${d.state}${d.state === 'delivered' ? '' : ` ${JSON.stringify(d.lastResult)}`}`).sort()).toEqual(['clevertap:delivered', 'leanplum:delivered', 'webhook:delivered']);
      return;
    }
    if (Date.now() > deadline) throw new Error(`event ${messageId} did not settle: ${JSON.stringify(detail?.deliveries.map((d) => [d.integration, d.state, d.lastResult]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const leanplumFields = (r: RecordedRequest) => ({ ...r.query, ...r.form() }) as Record<string, string>;
const webhookBody = (messageId: string) => {
  const req = vendors.webhook.requests.find((r) => r.headers['x-signal-message-id'] === messageId);
  expect(req, `webhook request for ${messageId}`).toBeDefined();
  return req!.json<Record<string, unknown>>();
};
const clevertapRecord = (pred: (r: Record<string, unknown>) => boolean) =>
  vendors.clevertap.requests.flatMap((r) => r.json<{ d: Record<string, unknown>[] }>().d).find(pred);

beforeAll(async () => {
  const [leanplum, clevertap, webhook] = await Promise.all([
    startFakeVendor(() => ({ status: 200, body: { response: [{ success: true }] } })),
    startFakeVendor((req) => ({ status: 200, body: { status: 'success', processed: req.json<{ d: unknown[] }>().d.length, unprocessed: [] } })),
    startFakeVendor(() => ({ status: 200, body: { ok: true } })),
  ]);
  vendors = { leanplum: leanplum!, clevertap: clevertap!, webhook: webhook! };
  dir = mkdtempSync(join(tmpdir(), 'signal-segment-sdk-'));
  linkWorkspacePlugins(dir);
  const text = `server: { port: 0, host: 127.0.0.1 }
storage: { driver: sqlite, path: ${JSON.stringify(join(dir, 'signal.db'))} }
http:
  host_overrides:
    api.leanplum.com: ${vendors.leanplum.url}
    us1.api.clevertap.com: ${vendors.clevertap.url}
    hooks.example.com: ${vendors.webhook.url}
sources:
  - { id: server, write_key: ${WRITE_KEY} }
integrations:
  - id: leanplum
    plugin: "@signal/leanplum"
    settings: { app_id: app_sdk, client_key: prod_sdk_client_key }
    # Leanplum params are flat: the product list stays out of the Purchase event.
  - id: clevertap
    plugin: "@signal/clevertap"
    settings: { account_id: TEST-000-0000, passcode: sdk-passcode-1, region: us1 }
  - id: webhook
    plugin: "@signal/webhook"
    settings: { url: https://hooks.example.com/segment }
pipelines:
  - { id: main, sources: [server], integrations: [leanplum, clevertap, webhook] }
`;
  const loaded = await loadConfigText(text, { file: 'segment-sdk.yaml', dir, env: {} });
  runner = await startRunner(loaded, { logger: silentLogger, engine: { lingerMs: 10, pollIntervalMs: 50 } });
});

afterAll(async () => {
  await runner?.stop();
  await Promise.all(Object.values(vendors ?? {}).map((v) => v.close()));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('@segment/analytics-node pointed at the collector', () => {
  it('identify, track and page reach the vendors with the right fields', async () => {
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: runner.url, path: '/v1/batch', flushAt: 1, maxRetries: 0 });
    const errors: unknown[] = [];
    const responses: number[] = [];
    analytics.on('error', (e) => errors.push(e));
    analytics.on('http_request', () => responses.push(1));

    analytics.identify({ userId: 'sdk-user-1', messageId: 'sdk-identify-1', traits: { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' } });
    analytics.track({
      userId: 'sdk-user-1',
      messageId: 'sdk-track-1',
      event: 'Order Completed',
      properties: { order_id: 'sdk-o-1', revenue: 42.5, currency: 'EUR', products: [{ product_id: 'p-1', price: 42.5, quantity: 1 }] },
    });
    analytics.page({ userId: 'sdk-user-1', messageId: 'sdk-page-1', name: 'Pricing', properties: { url: 'https://shop.example.com/pricing', path: '/pricing' } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);
    expect(responses.length).toBeGreaterThan(0);

    for (const id of ['sdk-identify-1', 'sdk-track-1', 'sdk-page-1']) await settled(id, 3);

    // Webhook: the canonical event, camelCase from the SDK normalised to Signal's snake_case.
    expect(webhookBody('sdk-identify-1')).toMatchObject({ type: 'identify', user_id: 'sdk-user-1', message_id: 'sdk-identify-1', traits: { email: 'ada@example.com', plan: 'pro' } });
    const track = webhookBody('sdk-track-1');
    expect(track).toMatchObject({ type: 'track', event: 'Order Completed', user_id: 'sdk-user-1', properties: { order_id: 'sdk-o-1', revenue: 42.5, currency: 'EUR' } });
    expect(track['context']).toMatchObject({ library: { name: '@segment/analytics-node' } });
    expect(webhookBody('sdk-page-1')).toMatchObject({ type: 'page', name: 'Pricing', user_id: 'sdk-user-1', properties: { path: '/pricing' } });

    // Leanplum (retail preset): identify → setUserAttributes, Order Completed → Purchase with value and currency, page → page.
    const lp = vendors.leanplum.requests.map(leanplumFields);
    const attrs = lp.find((f) => f['action'] === 'setUserAttributes');
    expect(attrs).toMatchObject({ userId: 'sdk-user-1', appId: 'app_sdk' });
    expect(JSON.parse(attrs!['userAttributes']!)).toMatchObject({ email: 'ada@example.com', plan: 'pro' });
    const purchase = lp.find((f) => f['action'] === 'track' && f['event'] === 'Purchase');
    expect(purchase).toMatchObject({ userId: 'sdk-user-1', currencyCode: 'EUR' });
    expect(Number(purchase!['value'])).toBe(42.5);
    expect(lp.find((f) => f['action'] === 'track' && f['event'] === 'page')).toMatchObject({ userId: 'sdk-user-1' });

    // CleverTap (Default preset): identify → profile, Order Completed → Charged, page → Web Page Viewed.
    // CleverTap's identity is the email from identify.
    expect(clevertapRecord((r) => r['type'] === 'profile')).toMatchObject({ identity: 'ada@example.com', profileData: { Email: 'ada@example.com' } });
    expect(clevertapRecord((r) => r['evtName'] === 'Charged')).toMatchObject({ type: 'event', evtData: { 'Charged ID': 'sdk-o-1', Amount: 42.5 } });
    expect(clevertapRecord((r) => r['evtName'] === 'Web Page Viewed')).toMatchObject({ type: 'event' });
  });
});

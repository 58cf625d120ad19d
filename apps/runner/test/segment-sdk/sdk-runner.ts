import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@signal/core';
import { startFakeVendor, type FakeVendor, type RecordedRequest } from '@signal/core/testkit';
import { expect } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { startRunner, type Runner } from '../../src/runner.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

/**
 * A runner with Leanplum (retail), CleverTap and a webhook pointed at fake vendors, for tests
 * that drive it with a real, unmodified SDK. The vendors' recorded requests are the oracle.
 */
export interface SdkRunner {
  runner: Runner;
  vendors: { leanplum: FakeVendor; clevertap: FakeVendor; webhook: FakeVendor };
  /** Waits until every integration has a final state for the event, and expects all delivered. */
  settled(messageId: string): Promise<void>;
  /** The canonical event as the webhook received it. */
  webhookBody(messageId: string): Record<string, unknown>;
  /** Leanplum calls' fields (query and form). */
  leanplumCalls(): Record<string, string>[];
  clevertapRecord(pred: (r: Record<string, unknown>) => boolean): Record<string, unknown> | undefined;
  stop(): Promise<void>;
}

const final = new Set(['delivered', 'rejected', 'dropped', 'dead']);

export async function startSdkRunner(writeKey: string): Promise<SdkRunner> {
  const [leanplum, clevertap, webhook] = await Promise.all([
    startFakeVendor(() => ({ status: 200, body: { response: [{ success: true }] } })),
    startFakeVendor((req) => ({ status: 200, body: { status: 'success', processed: req.json<{ d: unknown[] }>().d.length, unprocessed: [] } })),
    startFakeVendor(() => ({ status: 200, body: { ok: true } })),
  ]);
  const vendors = { leanplum: leanplum!, clevertap: clevertap!, webhook: webhook! };
  const dir = mkdtempSync(join(tmpdir(), 'signal-sdk-'));
  linkWorkspacePlugins(dir);
  const text = `server: { port: 0, host: 127.0.0.1 }
storage: { driver: sqlite, path: ${JSON.stringify(join(dir, 'signal.db'))} }
http:
  host_overrides:
    api.leanplum.com: ${vendors.leanplum.url}
    us1.api.clevertap.com: ${vendors.clevertap.url}
    hooks.example.com: ${vendors.webhook.url}
sources:
  - { id: sdk, write_key: ${writeKey} }
integrations:
  - id: leanplum
    plugin: "@signal/leanplum"
    settings: { app_id: app_sdk, client_key: prod_sdk_client_key }
  - id: clevertap
    plugin: "@signal/clevertap"
    settings: { account_id: TEST-000-0000, passcode: sdk-passcode-1, region: us1 }
  - id: webhook
    plugin: "@signal/webhook"
    settings: { url: https://hooks.example.com/segment }
pipelines:
  - { id: main, sources: [sdk], integrations: [leanplum, clevertap, webhook] }
`;
  const loaded = await loadConfigText(text, { file: 'sdk.yaml', dir, env: {} });
  const runner = await startRunner(loaded, { logger: silentLogger, engine: { lingerMs: 10, pollIntervalMs: 50 } });

  return {
    runner,
    vendors,
    async settled(messageId) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const detail = await runner.spool.event(messageId);
        if (detail !== undefined && detail.deliveries.length === 3 && detail.deliveries.every((d) => final.has(d.state))) {
          expect(detail.deliveries.map((d) => `${d.integration}:${d.state}${d.state === 'delivered' ? '' : ` ${JSON.stringify(d.lastResult)}`}`).sort()).toEqual([
            'clevertap:delivered',
            'leanplum:delivered',
            'webhook:delivered',
          ]);
          return;
        }
        if (Date.now() > deadline) throw new Error(`event ${messageId} did not settle: ${JSON.stringify(detail?.deliveries.map((d) => [d.integration, d.state, d.lastResult]))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    webhookBody(messageId) {
      const req = vendors.webhook.requests.find((r) => r.headers['x-signal-message-id'] === messageId);
      expect(req, `webhook request for ${messageId}`).toBeDefined();
      return req!.json<Record<string, unknown>>();
    },
    leanplumCalls: () => vendors.leanplum.requests.map((r: RecordedRequest) => ({ ...r.query, ...r.form() }) as Record<string, string>),
    clevertapRecord: (pred) => vendors.clevertap.requests.flatMap((r) => r.json<{ d: Record<string, unknown>[] }>().d).find(pred),
    async stop() {
      await runner.stop();
      await Promise.all(Object.values(vendors).map((v) => v.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What every SDK's identify + Order Completed + page must become at the vendors (retail / Default presets). */
export function expectVendorFields(
  sdk: SdkRunner,
  ids: { identify: string; track: string; page: string },
  user: string,
  email: string,
  /** False when the SDK sends each call as its own request, so the track may be stored before the identify that brings the email. */
  identifyFirst = true,
): void {
  expect(sdk.webhookBody(ids.identify)).toMatchObject({ type: 'identify', user_id: user, message_id: ids.identify, traits: { email, plan: 'pro' } });
  expect(sdk.webhookBody(ids.track)).toMatchObject({ type: 'track', event: 'Order Completed', user_id: user, properties: { order_id: `${user}-o-1`, revenue: 42.5, currency: 'EUR' } });
  expect(sdk.webhookBody(ids.page)).toMatchObject({ type: 'page', name: 'Pricing', user_id: user, properties: { path: '/pricing' } });

  // Leanplum (retail preset): identify → setUserAttributes, Order Completed → Purchase with value and currency, page → page.
  const lp = sdk.leanplumCalls().filter((f) => f['userId'] === user);
  const attrs = lp.find((f) => f['action'] === 'setUserAttributes');
  expect(attrs).toMatchObject({ userId: user, appId: 'app_sdk' });
  expect(JSON.parse(attrs!['userAttributes']!)).toMatchObject({ email, plan: 'pro' });
  const purchase = lp.find((f) => f['action'] === 'track' && f['event'] === 'Purchase');
  expect(purchase).toMatchObject({ userId: user, currencyCode: 'EUR' });
  expect(Number(purchase!['value'])).toBe(42.5);
  expect(lp.find((f) => f['action'] === 'track' && f['event'] === 'page')).toMatchObject({ userId: user });

  // CleverTap (Default preset): identify → profile, Order Completed → Charged, page → Web Page Viewed; identity is the email from identify.
  const who = (r: Record<string, unknown>) => r['identity'] === email || (!identifyFirst && r['objectId'] === user);
  expect(sdk.clevertapRecord((r) => r['type'] === 'profile' && r['identity'] === email)).toMatchObject({ profileData: { Email: email } });
  expect(sdk.clevertapRecord((r) => r['evtName'] === 'Charged' && who(r))).toMatchObject({ type: 'event', evtData: { 'Charged ID': `${user}-o-1`, Amount: 42.5 } });
  expect(sdk.clevertapRecord((r) => r['evtName'] === 'Web Page Viewed' && who(r))).toMatchObject({ type: 'event' });
}

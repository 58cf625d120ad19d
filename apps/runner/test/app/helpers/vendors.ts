import { startFakeVendor, type FakeVendor } from '@signal/core/testkit';

export interface Vendors {
  leanplum: FakeVendor;
  clevertap: FakeVendor;
  launchdarkly: FakeVendor;
  webhook: FakeVendor;
}

/** Vendors' normal success answers (as the vendor docs show them). */
export const normal = {
  leanplum: () => ({ status: 200, body: { response: [{ success: true }] } }),
  clevertap: (n: number) => ({ status: 200, body: { status: 'success', processed: n, unprocessed: [] } }),
  launchdarkly: () => ({ status: 202 }),
  webhook: () => ({ status: 200, body: { ok: true } }),
};

export async function startVendors(): Promise<Vendors> {
  const [leanplum, clevertap, launchdarkly, webhook] = await Promise.all([
    startFakeVendor(normal.leanplum),
    startFakeVendor((req) => normal.clevertap(req.json<{ d: unknown[] }>().d.length)),
    startFakeVendor(normal.launchdarkly),
    startFakeVendor(normal.webhook),
  ]);
  return { leanplum: leanplum!, clevertap: clevertap!, launchdarkly: launchdarkly!, webhook: webhook! };
}

export function configFor(vendors: Vendors, options: { port?: number; dbPath: string; retry?: string; adminToken?: string }): string {
  return `server: { port: ${options.port ?? 0}, host: 127.0.0.1${options.adminToken === undefined ? '' : `, admin_token: ${options.adminToken}`} }
storage: { driver: sqlite, path: ${JSON.stringify(options.dbPath)} }
http:
  host_overrides:
    api.leanplum.com: ${vendors.leanplum.url}
    us1.api.clevertap.com: ${vendors.clevertap.url}
    events.launchdarkly.com: ${vendors.launchdarkly.url}
    hooks.example.com: ${vendors.webhook.url}
sources:
  - { id: web, write_key: test-write-key }
integrations:
  - id: leanplum
    plugin: "@signal/leanplum"
    settings: { app_id: app_test, client_key: prod_secret_client_key }
    ${options.retry ?? ''}
  - id: clevertap
    plugin: "@signal/clevertap"
    settings: { account_id: TEST-000-0000, passcode: secret-passcode-1, region: us1 }
    ${options.retry ?? ''}
  - id: launchdarkly
    plugin: "@signal/launchdarkly"
    settings: { access_token: api-secret-token-1, project_key: default, environment_key: production }
    ${options.retry ?? ''}
  - id: webhook
    plugin: "@signal/webhook"
    settings: { url: https://hooks.example.com/signal }
    ${options.retry ?? ''}
pipelines:
  - { id: main, sources: [web], integrations: [leanplum, clevertap, launchdarkly, webhook] }
`;
}

/** Polls until `check` returns a value (not a timing assertion: the test fails only if it never happens). */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

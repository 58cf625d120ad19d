import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@signal/core';
import { startFakeVendor, type FakeVendor } from '@signal/core/testkit';
import { loadConfigText } from '../../src/config/index.js';
import { startRunner, type Runner } from '../../src/runner.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

export const WRITE_KEY = 'debugger-write-key';
export const LEANPLUM_SECRET = 'prod_lp_secret_client_key_7f3a';

/**
 * A whole runner (startRunner: collector, engine, real plugins, the debugger as the runner
 * registers it) against fake vendors whose answers a test can change.
 * Integrations: leanplum (retail preset plus overrides), webhook (short retries), and crm, a
 * second webhook that needs consent, has its own event map and a concurrency limit.
 */
export interface DebuggerRunner {
  url: string;
  runner: Runner;
  /** The config file it runs (e.g. for the CLI). */
  configFile: string;
  vendors: { leanplum: FakeVendor; webhook: FakeVendor; crm: FakeVendor };
  send(path: string, body: unknown, writeKey?: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function startDebuggerRunner(adminToken: string): Promise<DebuggerRunner> {
  const [leanplum, webhook, crm] = await Promise.all([
    startFakeVendor(() => ({ status: 200, body: { response: [{ success: true }] } })),
    startFakeVendor(() => ({ status: 200, body: { ok: true } })),
    startFakeVendor(() => ({ status: 200, body: { ok: true } })),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'signal-debugger-e2e-'));
  linkWorkspacePlugins(dir);
  const text = `server: { port: 0, host: 127.0.0.1, admin_token: ${adminToken} }
storage: { driver: sqlite, path: ${JSON.stringify(join(dir, 'signal.db'))} }
http:
  timeout_ms: 2000
  host_overrides:
    api.leanplum.com: ${leanplum!.url}
    hooks.example.com: ${webhook!.url}
    crm.example.com: ${crm!.url}
sources:
  - { id: web, write_key: ${WRITE_KEY} }
integrations:
  - id: leanplum
    plugin: "@signal/leanplum"
    preset: retail
    settings: { app_id: app_debugger, client_key: ${LEANPLUM_SECRET} }
    mapping: { events: { "Product Added": AddToBasket, "Wishlist Product Added": Wishlist } }
  - id: webhook
    plugin: "@signal/webhook"
    settings: { url: https://hooks.example.com/signal }
    retry: { base_ms: 10, cap_ms: 20, max_attempts: 2, min_window_ms: 0 }
  - id: crm
    plugin: "@signal/webhook"
    consent: [marketing]
    concurrency: 2
    settings: { url: https://crm.example.com/in }
    mapping: { events: { "Order Completed": purchase, "Debug Noise": drop } }
    retry: { base_ms: 10, cap_ms: 20, max_attempts: 2, min_window_ms: 0 }
pipelines:
  - { id: main, sources: [web], integrations: [leanplum, webhook, crm] }
`;
  const configFile = join(dir, 'signal.config.yaml');
  writeFileSync(configFile, text);
  const loaded = await loadConfigText(text, { file: configFile, dir, env: {} });
  const runner = await startRunner(loaded, { logger: silentLogger, engine: { lingerMs: 10, pollIntervalMs: 50 } });
  return {
    url: runner.url,
    runner,
    configFile,
    vendors: { leanplum: leanplum!, webhook: webhook!, crm: crm! },
    send: (path, body, writeKey = WRITE_KEY) =>
      fetch(`${runner.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async stop() {
      await runner.stop();
      await Promise.all([leanplum!.close(), webhook!.close(), crm!.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

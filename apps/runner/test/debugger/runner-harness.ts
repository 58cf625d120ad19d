import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpClient, silentLogger, type RetryPolicyConfig } from '@signal/core';
import { startFakeVendor, type FakeVendor } from '@signal/core/testkit';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { loadConfigText } from '../../src/config/index.js';
import { registerDebugger } from '../../src/debugger/index.js';
import { createDeliveryEngine } from '../../src/delivery/index.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { openSpool } from '../../src/storage/open-spool.js';
import type { Spool } from '../../src/spool/types.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

export const WRITE_KEY = 'debugger-write-key';
export const LEANPLUM_SECRET = 'prod_lp_secret_client_key_7f3a';

/**
 * The runner's pieces composed as startRunner composes them (collector, real
 * engine, real plugins, fake vendors), plus the debugger registered the way
 * the runner wiring will register it.
 */
export interface DebuggerRunner {
  url: string;
  app: FastifyInstance;
  spool: Spool;
  vendors: { leanplum: FakeVendor; webhook: FakeVendor };
  send(path: string, body: unknown): Promise<Response>;
  stop(): Promise<void>;
}

export async function startDebuggerRunner(adminToken: string): Promise<DebuggerRunner> {
  const leanplum = await startFakeVendor(() => ({ status: 200, body: { response: [{ success: true }] } }));
  const webhook = await startFakeVendor(() => ({ status: 200, body: { ok: true } }));
  const dir = mkdtempSync(join(tmpdir(), 'signal-debugger-e2e-'));
  linkWorkspacePlugins(dir);
  const text = `server: { port: 0, host: 127.0.0.1, admin_token: ${adminToken} }
storage: { driver: sqlite, path: ${JSON.stringify(join(dir, 'signal.db'))} }
http:
  host_overrides:
    api.leanplum.com: ${leanplum.url}
    hooks.example.com: ${webhook.url}
sources:
  - { id: web, write_key: ${WRITE_KEY} }
integrations:
  - id: leanplum
    plugin: "@signal/leanplum"
    settings: { app_id: app_debugger, client_key: ${LEANPLUM_SECRET} }
  - id: webhook
    plugin: "@signal/webhook"
    settings: { url: https://hooks.example.com/signal }
    retry: { base_ms: 10, cap_ms: 20, max_attempts: 2, min_window_ms: 0 }
pipelines:
  - { id: main, sources: [web], integrations: [leanplum, webhook] }
`;
  const loaded = await loadConfigText(text, { file: 'debugger-e2e.yaml', dir, env: {} });
  const spool = await openSpool(loaded);
  const http = createHttpClient({ hostOverrides: loaded.config.http.host_overrides, timeoutMs: 2000 });
  const retryByIntegration: Record<string, Partial<RetryPolicyConfig>> = {};
  for (const { entry } of loaded.integrations) if (entry.retry !== undefined) retryByIntegration[entry.id] = entry.retry;
  const integrations = loaded.integrations.map((i) => i.integration);
  const engine = createDeliveryEngine({ spool, integrations, http, retryByIntegration, logger: silentLogger, lingerMs: 10, pollIntervalMs: 50 });
  const app = buildServer({
    spool,
    metrics: createMetrics(spool, () => engine.paused()),
    sources: new Map(loaded.config.sources.map((s) => [s.write_key, s.id])),
    routes: loaded.routes,
    engine: { wake: (id) => engine.wake(id), paused: () => engine.paused(), resume: (id) => engine.resume(id), running: () => true },
  });
  await registerDebugger(app, {
    spool,
    engine,
    adminToken: loaded.config.server.admin_token,
    integrations: integrations.map((i) => i.id),
    redact: (t) => integrations.reduce((s, i) => i.redact(s), t),
  });
  engine.start();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return {
    url,
    app,
    spool,
    vendors: { leanplum, webhook },
    send: (path, body) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
        body: JSON.stringify(body),
      }),
    async stop() {
      await app.close();
      await engine.stop();
      await spool.close();
      await http.close();
      await leanplum.close();
      await webhook.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

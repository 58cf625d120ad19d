import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@signal/core';
import { startFakeVendor, type FakeVendor } from '@signal/core/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { startRunner, type Runner } from '../../src/runner.js';
import type { EventDetail } from '../../src/spool/types.js';
import { eventually } from './helpers/vendors.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

/** message_id dedupes per source: the same id from two sources is two events; a repeat from one source is stored once. */
let runner: Runner;
let vendor: FakeVendor;
let dir: string;
const ADMIN = 'per-source-admin-token';

beforeAll(async () => {
  vendor = await startFakeVendor(() => ({ status: 200, body: { ok: true } }));
  dir = mkdtempSync(join(tmpdir(), 'signal-per-source-'));
  linkWorkspacePlugins(dir, ['webhook']);
  const config = `server: { port: 0, host: 127.0.0.1, admin_token: ${ADMIN} }
storage: { driver: sqlite, path: ${JSON.stringify(join(dir, 'signal.db'))} }
http: { host_overrides: { hooks.example.com: ${JSON.stringify(vendor.url)} } }
sources: [ { id: web, write_key: web-write-key }, { id: ios, write_key: ios-write-key } ]
integrations:
  - { id: webhook, plugin: "@signal/webhook", settings: { url: "https://hooks.example.com/in" } }
pipelines: [ { id: main, sources: [web, ios], integrations: [webhook] } ]
`;
  runner = await startRunner(await loadConfigText(config, { file: join(dir, 'signal.config.yaml'), dir, env: {} }), { logger: silentLogger, engine: { lingerMs: 10, pollIntervalMs: 50 } });
});
afterAll(async () => {
  await runner?.stop();
  await vendor?.close();
  rmSync(dir, { recursive: true, force: true });
});

const track = (key: string, user: string) =>
  fetch(`${runner.url}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
    body: JSON.stringify({ event: 'Order Completed', userId: user, messageId: 'shared-id-1' }),
  });

it('the same message_id from two sources is two events, delivered twice; a repeat from one source is stored once', async () => {
  expect((await track('web-write-key', 'web-user')).status).toBe(200);
  expect((await track('ios-write-key', 'ios-user')).status).toBe(200);
  expect((await track('ios-write-key', 'ios-user')).status).toBe(200);
  await eventually(async () => (vendor.requests.length >= 2 ? true : undefined), 'both delivered');
  await new Promise((r) => setTimeout(r, 300));
  const users = vendor.requests.map((r) => r.json<{ user_id?: string; userId?: string }>()).map((b) => b.user_id ?? b.userId);
  expect(users.sort()).toEqual(['ios-user', 'web-user']);
  const detail = async (source: string) =>
    (await (await fetch(`${runner.url}/api/events/shared-id-1?source=${source}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as EventDetail;
  expect((await detail('web')).event.user_id).toBe('web-user');
  expect((await detail('ios')).event.user_id).toBe('ios-user');
});

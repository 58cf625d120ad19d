import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@signal/core';
import { startFakeVendor, type FakeVendor } from '@signal/core/testkit';
import { afterEach, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { startRunner, type Runner } from '../../src/runner.js';
import { eventually } from './helpers/vendors.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

/**
 * A full disk never yields a 200: the collector answers 503 with Retry-After, /readyz says why,
 * metrics count it, nothing accepted before is lost, and ingest (and /readyz, even with no
 * traffic) recovers by itself once space returns. A real 2 MB tmpfs holds the spool.
 */
let runner: Runner | undefined;
let vendor: FakeVendor | undefined;
const cleanup: (() => void)[] = [];
afterEach(async () => {
  await runner?.stop().catch(() => undefined);
  await vendor?.close();
  for (const fn of cleanup.splice(0).reverse()) fn();
  runner = vendor = undefined;
});

const KEY = 'disk-full-write-key';
const auth = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;

it('disk full: 503 + Retry-After, /readyz says why, nothing accepted is lost, recovers by itself', async (ctx) => {
  const mount = mkdtempSync(join(tmpdir(), 'signal-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount], { stdio: 'pipe' });
  } catch (error) {
    rmSync(mount, { recursive: true, force: true });
    if (process.env['CI']) throw new Error(`mounting a 2 MB tmpfs failed (needs root): ${(error as Error).message}`);
    console.log(`skipped: cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`);
    ctx.skip();
    return;
  }
  cleanup.push(() => {
    execFileSync('umount', ['-l', mount]);
    rmSync(mount, { recursive: true, force: true });
  });
  const project = mkdtempSync(join(tmpdir(), 'signal-full-project-'));
  cleanup.push(() => rmSync(project, { recursive: true, force: true }));
  linkWorkspacePlugins(project, ['webhook']);
  mkdirSync(join(mount, 'data'));
  // The vendor holds its answers until the end, so delivery writes nothing while the disk fills and empties.
  let open: () => void = () => undefined;
  const answers = new Promise<void>((resolve) => (open = resolve));
  vendor = await startFakeVendor(async () => {
    await answers;
    return { status: 200, body: { ok: true } };
  });
  const config = `server: { port: 0, host: 127.0.0.1, admin_token: disk-full-admin-token }
storage: { driver: sqlite, path: ${JSON.stringify(join(mount, 'data', 'signal.db'))} }
http: { timeout_ms: 120000, host_overrides: { hooks.example.com: ${JSON.stringify(vendor.url)} } }
sources: [ { id: web, write_key: ${KEY} } ]
integrations:
  - { id: webhook, plugin: "@signal/webhook", settings: { url: "https://hooks.example.com/in" } }
pipelines: [ { id: main, sources: [web], integrations: [webhook] } ]
`;
  runner = await startRunner(await loadConfigText(config, { file: join(project, 'signal.config.yaml'), dir: project, env: {} }), { logger: silentLogger });
  // Most of the filesystem goes to a file deleted later.
  writeFileSync(join(mount, 'filler'), Buffer.alloc(1_300_000));

  const accepted: string[] = [];
  let refused: Response | undefined;
  for (let i = 0; i < 2_000 && refused === undefined; i++) {
    const batch = Array.from({ length: 20 }, (_, k) => ({ type: 'track', event: 'Order Completed', userId: `u-${i}`, messageId: `full-${i}-${k}`, properties: { blob: 'x'.repeat(1_000) } }));
    const res = await fetch(`${runner.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify({ batch }) });
    if (res.status === 200) accepted.push(...batch.map((e) => e.messageId));
    else {
      expect(res.status).toBe(503);
      refused = res;
    }
  }
  expect(refused, 'the disk never filled up').toBeDefined();
  expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(accepted.length).toBeGreaterThan(20);
  const notReady = await fetch(`${runner.url}/readyz`);
  expect(notReady.status).toBe(503);
  expect(JSON.stringify(await notReady.json())).toMatch(/full/i);
  expect(await (await fetch(`${runner.url}/metrics`)).text()).toMatch(/signal_collector_unavailable_total\{reason="storage"\} [1-9]/);

  // Space returns; with no ingest traffic at all, /readyz finds out by itself.
  rmSync(join(mount, 'filler'));
  await eventually(async () => ((await fetch(`${runner!.url}/readyz`)).status === 200 ? true : undefined), '/readyz ready again', 20_000);
  const after = { type: 'track', event: 'Order Completed', userId: 'u-after', messageId: 'full-after' };
  expect((await fetch(`${runner.url}/v1/track`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify(after) })).status).toBe(200);
  accepted.push(after.messageId);

  // Everything answered 200 reaches the vendor.
  open();
  const received = () => new Set(vendor!.requests.map((r) => r.headers['x-signal-message-id']));
  await eventually(async () => (accepted.every((id) => received().has(id)) ? true : undefined), 'every accepted event delivered', 60_000);
}, 120_000);

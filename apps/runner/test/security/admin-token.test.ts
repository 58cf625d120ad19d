import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFor, eventually, startVendors, type Vendors } from '../app/helpers/vendors.js';
import { cli, freePort, runCli, startCli, type StartedCli } from './cli-process.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// `signal start` with no server.admin_token: it generates one on first start (random, 0600, in the
// data directory), says where, reuses it after a restart; `signal deliveries` / `replay` find it with -c.
const built = existsSync(cli);
if (!built) console.warn(`skipping the admin token CLI test: ${cli} is not built`);

describe.skipIf(!built)('signal start without server.admin_token', () => {
  let vendors: Vendors;
  let dir: string;
  let config: string;
  let port: number;
  let url: string;
  let runner: StartedCli | undefined;
  const tokenFile = () => join(dir, 'data', 'admin-token');

  beforeAll(async () => {
    vendors = await startVendors();
    dir = mkdtempSync(join(tmpdir(), 'signal-admin-token-'));
    linkWorkspacePlugins(dir);
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    config = join(dir, 'signal.config.yaml');
    writeFileSync(config, configFor(vendors, { port, dbPath: './data/signal.db' }));
  });
  afterAll(async () => {
    await runner?.stop();
    await Promise.all(Object.values(vendors ?? {}).map((v) => v.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates a random token on first start, stored 0600 in the data directory, and says where (not what) it is', async () => {
    expect(existsSync(tokenFile())).toBe(false);
    runner = startCli(['-c', config]);
    const line = await runner.waitFor(/admin token/);
    await runner.waitFor(/signal runner started/);
    const token = readFileSync(tokenFile(), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
    expect(line).toContain(tokenFile());
    expect(runner.output().stdout + runner.output().stderr).not.toContain(token);

    expect((await fetch(`${url}/api/deliveries`)).status).toBe(401);
    expect((await fetch(`${url}/debugger`)).status).toBe(401);
    expect((await fetch(`${url}/api/deliveries`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${url}/debugger?token=${token}`)).status).toBe(200);
  });

  it('signal deliveries and replay find the runner and its token from the config (-c)', async () => {
    const events = { batch: [1, 2].map((n) => ({ type: 'track', event: 'Order Completed', userId: `u-${n}`, messageId: `tok-${n}`, properties: { order_id: `o-${n}`, revenue: 1 } })) };
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('test-write-key:').toString('base64')}` }, body: JSON.stringify(events) });
    expect(res.status).toBe(200);
    const rows = await eventually(async () => {
      const r = await runCli(['deliveries', '-c', config, '--json', '--status', 'delivered', '--integration', 'webhook']);
      expect(r.code, r.stderr).toBe(0);
      const list = JSON.parse(r.stdout) as { messageId: string }[];
      return list.length === 2 ? list : undefined;
    }, 'two webhook deliveries');
    expect(rows.map((r) => r.messageId).sort()).toEqual(['tok-1', 'tok-2']);

    const dead = await runCli(['replay', '-c', config]);
    expect(dead.code, dead.stderr).toBe(0);
    expect(dead.stdout).toMatch(/replayed 0 dead deliveries/);

    const unforced = await runCli(['replay', '-c', config, '--status', 'delivered', '--integration', 'webhook']);
    expect(unforced.code).toBe(1);
    expect(unforced.stderr).toMatch(/force/);
    expect(unforced.stderr).not.toMatch(/\n\s+at /);

    const before = vendors.webhook.requests.length;
    const forced = await runCli(['replay', '-c', config, '--status', 'delivered', '--integration', 'webhook', '--message-id', 'tok-1', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/replayed 1 delivered delivery of webhook/);
    await eventually(async () => (vendors.webhook.requests.length === before + 1 ? true : undefined), 'the forced re-send');

    const wrong = await runCli(['deliveries', '--url', url, '--token', 'not-the-token-1']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/401/);
  });

  it('reuses the same token after a restart, and reads the SQLite file directly while no runner is up', async () => {
    const token = readFileSync(tokenFile(), 'utf8').trim();
    await runner!.stop();
    const offline = await runCli(['deliveries', '-c', config, '--json', '--integration', 'webhook']);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stderr).toMatch(/reading the SQLite file/);
    expect((JSON.parse(offline.stdout) as unknown[]).length).toBe(2);

    runner = startCli(['-c', config]);
    const line = await runner.waitFor(/admin token/);
    await runner.waitFor(/signal runner started/);
    expect(line).toMatch(/read from/);
    expect(readFileSync(tokenFile(), 'utf8').trim()).toBe(token);
    expect((await fetch(`${url}/api/deliveries`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('server.admin_token, when set, is the credential and no file is written', async () => {
    const other = mkdtempSync(join(tmpdir(), 'signal-admin-token-set-'));
    linkWorkspacePlugins(other);
    try {
      const p = await freePort();
      const file = join(other, 'signal.config.yaml');
      writeFileSync(file, configFor(vendors, { port: p, dbPath: './data/signal.db', adminToken: '${SIGNAL_TEST_ADMIN}' }));
      const child = startCli(['-c', file], { SIGNAL_TEST_ADMIN: 'configured-admin-token-1' });
      try {
        await child.waitFor(/signal runner started/);
        expect(existsSync(join(other, 'data', 'admin-token'))).toBe(false);
        expect((await fetch(`http://127.0.0.1:${p}/api/deliveries`, { headers: { authorization: 'Bearer configured-admin-token-1' } })).status).toBe(200);
        const r = await runCli(['deliveries', '-c', file, '--json'], { SIGNAL_TEST_ADMIN: 'configured-admin-token-1' });
        expect(r.code, r.stderr).toBe(0);
      } finally {
        await child.stop();
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

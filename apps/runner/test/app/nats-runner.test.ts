import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@signal/core';
import { startFakeVendor, type FakeVendor } from '@signal/core/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { startRunner, type Runner } from '../../src/runner.js';
import { eventually } from './helpers/vendors.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// storage.driver: nats wires the JetStream spool; runs only where a nats-server binary is installed.
const hasNats = spawnSync('nats-server', ['--version']).status === 0;
let nats: ChildProcess | undefined;
let vendor: FakeVendor;
let runner: Runner | undefined;
let dir: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  if (!hasNats) return;
  dir = mkdtempSync(join(tmpdir(), 'signal-nats-'));
  linkWorkspacePlugins(dir);
  const port = await freePort();
  nats = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
  vendor = await startFakeVendor(() => ({ status: 200, body: { ok: true } }));
  const text = `server: { port: 0, host: 127.0.0.1 }
storage: { driver: nats, servers: ["nats://127.0.0.1:${port}"], stream_prefix: T${Date.now()} }
http: { host_overrides: { hooks.example.com: ${vendor.url} } }
sources: [ { id: web, write_key: nats-write-key } ]
integrations: [ { id: webhook, plugin: "@signal/webhook", settings: { url: https://hooks.example.com/in } } ]
pipelines: [ { id: main, sources: [web], integrations: [webhook] } ]
`;
  const loaded = await loadConfigText(text, { file: 'nats.yaml', dir, env: {} });
  runner = await eventually(
    () => startRunner(loaded, { logger: silentLogger, engine: { lingerMs: 20, pollIntervalMs: 50 } }).catch(() => undefined),
    'NATS to accept connections',
  );
});
afterAll(async () => {
  await runner?.stop();
  await vendor?.close();
  // nats-server flushes its store on SIGTERM: removing the directory before it has exited races that
  // flush (ENOTEMPTY on a consumer's directory), so wait for the exit first.
  if (nats !== undefined && nats.exitCode === null && nats.signalCode === null) {
    const exited = new Promise((resolve) => nats!.once('exit', resolve));
    nats.kill('SIGTERM');
    await exited;
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});

describe.skipIf(!hasNats)('runner on the NATS spool', () => {
  it('a track accepted over HTTP is delivered through JetStream', async () => {
    const res = await fetch(`${runner!.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('nats-write-key:').toString('base64')}` },
      body: JSON.stringify({ event: 'Signed Up', userId: 'n1', messageId: 'nats-msg-1' }),
    });
    expect(res.status).toBe(200);
    await eventually(async () => (vendor.requests.some((r) => r.body.includes('nats-msg-1')) ? true : undefined), 'the webhook request');
    expect(runner!.spool.driver).toBe('nats');
  });
});

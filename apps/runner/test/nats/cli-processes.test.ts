import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { natsMissing, natsUrl, sandbox, type Sandbox } from './nats-available.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// Two `signal start` processes (the built CLI) on one NATS; one is killed with SIGKILL mid-delivery.
const cli = resolve(import.meta.dirname, '../../dist/cli.js');
const built = existsSync(cli);
if (!built && !natsMissing) console.warn(`skipping the CLI scale-out test: ${cli} is not built (pnpm --filter @signal/runner build)`);

const freePort = () =>
  new Promise<number>((r) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => r(port));
    });
  });

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(natsMissing || !built)('signal start × 2 on one NATS', () => {
  let sb: Sandbox;
  let dir: string;
  let vendor: Server | undefined;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    sb = await sandbox();
    dir = mkdtempSync(join(tmpdir(), 'signal-nats-cli-'));
    linkWorkspacePlugins(dir);
  });
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await new Promise((r) => (vendor === undefined ? r(undefined) : vendor.close(r)));
    await sb.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('share the work without double delivery, and the survivor delivers what the killed one held', async () => {
    // The oracle: the webhook endpoint's own record of X-Signal-Message-Id per request.
    const received: string[] = [];
    vendor = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['x-signal-message-id']));
        setTimeout(() => res.end('{"ok":true}'), 30);
      });
    });
    await new Promise<void>((r) => vendor!.listen(0, '127.0.0.1', r));
    const vendorUrl = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}`;
    const config = join(dir, 'signal.config.yaml');
    writeFileSync(
      config,
      `server: { port: 0, host: 127.0.0.1 }
storage: { driver: nats, servers: ["${natsUrl}"], stream_prefix: ${sb.prefix} }
http: { host_overrides: { hooks.example.com: "${vendorUrl}" }, timeout_ms: 1000 }
sources: [ { id: web, write_key: cli-write-key } ]
integrations: [ { id: webhook, plugin: "@signal/webhook", settings: { url: "https://hooks.example.com/in" } } ]
pipelines: [ { id: main, sources: [web], integrations: [webhook] } ]
`,
    );
    const start = async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [cli, 'start', '-c', config, '-p', String(port)], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      const url = `http://127.0.0.1:${port}`;
      const ready = await until(() => fetch(`${url}/readyz`).then((r) => (r.ok ? true : undefined), () => undefined), 30_000);
      expect(ready, `runner on ${url} became ready`).toBe(true);
      return { child, url };
    };
    const [a, b] = [await start(), await start()];

    const ids = Array.from({ length: 120 }, (_, i) => `cli-${sb.prefix}-${i}`);
    const res = await fetch(`${a.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('cli-write-key:').toString('base64')}` },
      body: JSON.stringify({ batch: ids.map((messageId, i) => ({ type: 'track', event: 'Order Completed', userId: `user-${i}`, messageId })) }),
    });
    expect(res.status).toBe(200);

    await until(() => (received.length >= 30 ? true : undefined), 30_000);
    const beforeKill = [...received];
    a.child.kill('SIGKILL');
    // Normal case, both runners alive: no event sent twice.
    expect(beforeKill.length).toBe(new Set(beforeKill).size);

    await until(() => (ids.every((id) => received.includes(id)) ? true : undefined), 30_000);
    await until(async () => ((await sb.jsm.streams.info(sb.names.streams.work)).state.messages === 0 ? true : undefined), 10_000);
    const duplicates = received.length - new Set(received).size;
    console.info(`CLI scale-out: ${received.length} requests for ${ids.length} events; ${duplicates} repeated after the SIGKILL (at-least-once)`);
    // Nothing lost; nothing left in the work queue; the survivor is still running.
    expect(ids.filter((id) => !received.includes(id))).toEqual([]);
    expect((await sb.jsm.streams.info(sb.names.streams.work)).state.messages).toBe(0);
    expect(b.child.exitCode).toBeNull();
  });
});

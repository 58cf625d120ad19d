import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeVendor, type FakeVendor } from '@signal/core/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/vendors.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// kill -9 of the built CLI mid-delivery, then restart: every accepted event reaches the vendor at least once.
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const N = 30;
let vendor: FakeVendor;
let dir: string;
let configFile: string;
const children: ChildProcess[] = [];

async function startCli(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'start', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"port":(\d+)[^\n]*signal runner started/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`runner exited (${code}) before listening: ${err}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

const received = () => {
  const counts = new Map<string, number>();
  for (const r of vendor.requests) {
    const body = r.json<{ message_id?: string; messageId?: string }>();
    const id = body.message_id ?? body.messageId ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
};

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`build the runner first (turbo run build, or tsup in apps/runner): ${cli} is missing`);
  // Slow vendor: deliveries are still in flight when the runner is killed.
  vendor = await startFakeVendor(async () => {
    await new Promise((r) => setTimeout(r, 150));
    return { status: 200, body: { ok: true } };
  });
  dir = mkdtempSync(join(tmpdir(), 'signal-crash-'));
  linkWorkspacePlugins(dir);
  configFile = join(dir, 'signal.config.yaml');
  writeFileSync(
    configFile,
    `server: { port: 0, host: 127.0.0.1 }
storage: { driver: sqlite, path: ./data/signal.db }
http: { timeout_ms: 1000, host_overrides: { hooks.example.com: ${vendor.url} } }
sources: [ { id: web, write_key: crash-write-key } ]
integrations:
  - id: webhook
    plugin: "@signal/webhook"
    settings: { url: https://hooks.example.com/in, max_concurrency: 2 }
    retry: { base_ms: 100, cap_ms: 500 }
pipelines: [ { id: main, sources: [web], integrations: [webhook] } ]
`,
  );
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await vendor?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('crash recovery', () => {
  it('every event accepted before kill -9 is delivered after restart (duplicates allowed, none lost)', async () => {
    const first = await startCli();
    const ids = Array.from({ length: N }, (_, i) => `crash-${i}`);
    for (const id of ids) {
      const res = await fetch(`${first.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('crash-write-key:').toString('base64')}` },
        body: JSON.stringify({ event: 'Order Completed', userId: `u-${id}`, messageId: id, properties: { revenue: 1 } }),
      });
      expect(res.status).toBe(200);
    }
    // Mid-delivery: some events reached the vendor, not all.
    await eventually(async () => (vendor.requests.length >= 3 ? true : undefined), 'first deliveries');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const beforeRestart = received().size;
    expect(beforeRestart).toBeLessThan(N);

    const second = await startCli();
    await eventually(async () => (ids.every((id) => received().has(id)) ? true : undefined), 'every accepted event at the vendor', 25_000);
    const counts = received();
    const lost = ids.filter((id) => !counts.has(id));
    const duplicates = ids.filter((id) => (counts.get(id) ?? 0) > 1).length;
    expect(lost).toEqual([]);
    console.info(`crash test: ${N} accepted, ${beforeRestart} at the vendor before kill -9, ${duplicates} delivered twice, 0 lost`);

    // The spool agrees: every job final and delivered.
    const db = new Database(join(dir, 'data/signal.db'), { readonly: true });
    const rows = await eventually(async () => {
      const r = db.prepare("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() as { state: string; n: number }[];
      return r.length === 1 && r[0]!.state === 'delivered' ? r : undefined;
    }, 'all jobs delivered in the SQLite file');
    db.close();
    expect(rows).toEqual([{ state: 'delivered', n: N }]);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });
});

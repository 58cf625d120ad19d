import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { track } from './events.js';
import { natsMissing, natsUrl, sandbox, type Sandbox } from './nats-available.js';

const script = resolve(import.meta.dirname, 'runner-process.mjs');
const built = existsSync(resolve(import.meta.dirname, '../../dist/spool/index.js'));
if (!built && !natsMissing) console.warn('skipping the process-level scale-out test: apps/runner/dist is not built (npm test builds it)');

describe.skipIf(natsMissing || !built)('JetStream spool: two runner processes, one killed with SIGKILL mid-batch', () => {
  let sb: Sandbox;
  let dir: string;
  let vendor: Server;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    sb = await sandbox();
    dir = mkdtempSync(join(tmpdir(), 'signal-nats-proc-'));
  });
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await new Promise((r) => vendor?.close(r));
    await sb.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the surviving runner finishes the work: nothing lost, duplicates only from the killed batch', async () => {
    // The oracle is the fake vendor: what it received, from which runner.
    const received: { runner: string; messageId: string }[] = [];
    vendor = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ runner: String(req.headers['x-runner']), messageId: body });
        setTimeout(() => res.end('ok'), 5);
      });
    });
    await new Promise<void>((r) => vendor.listen(0, '127.0.0.1', r));
    const vendorUrl = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}/`;

    const spool = await sb.open();
    const events = Array.from({ length: 150 }, (_, i) => track(`user-${i}`));
    // Fifteen requests: fifteen chunks, so both runners have work from the start.
    for (let i = 0; i < events.length; i += 10) await spool.append(events.slice(i, i + 10).map((event) => ({ event, integrations: ['hook'], source: 'web' })));

    const start = (name: string) => {
      const child = fork(script, [natsUrl, sb.prefix, vendorUrl, name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      return new Promise<ChildProcess>((r) => child.once('message', () => r(child)));
    };
    const [a] = await Promise.all([start('A'), start('B')]);

    const until = async (done: () => boolean | Promise<boolean>, ms: number) => {
      const end = Date.now() + ms;
      while (!(await done()) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    };
    await until(() => received.filter((r) => r.runner === 'A').length >= 15, 20_000);
    a!.kill('SIGKILL');
    await new Promise((r) => a!.once('exit', r));

    await until(async () => (await sb.jsm.streams.info(sb.names.streams.work)).state.messages === 0, 30_000);

    const sentByA = new Set(received.filter((r) => r.runner === 'A').map((r) => r.messageId));
    const counts = new Map<string, number>();
    for (const r of received) counts.set(r.messageId, (counts.get(r.messageId) ?? 0) + 1);
    const duplicates = [...counts.entries()].filter(([, n]) => n > 1).map(([id]) => id);
    console.info(`process scale-out: ${received.length} requests for ${events.length} events, ${duplicates.length} duplicates (A sent ${sentByA.size} before SIGKILL)`);
    // Nothing lost: every event reached the vendor, and the work queue is empty.
    expect([...counts.keys()].sort()).toEqual(events.map((e) => e.message_id).sort());
    expect((await sb.jsm.streams.info(sb.names.streams.work)).state.messages).toBe(0);
    // At-least-once: a duplicate is only a job A sent but could not ack, at most one claim's worth.
    expect(duplicates.every((id) => sentByA.has(id))).toBe(true);
    expect(duplicates.length).toBeLessThanOrEqual(10);
    // Both runners worked.
    expect(received.some((r) => r.runner === 'B')).toBe(true);
  });
});

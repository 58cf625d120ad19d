import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openNatsSpool } from '../../src/spool/nats.js';
import type { Spool } from '../../src/spool/types.js';
import { makeEvent } from '../spool/contract.js';

/**
 * JetStream over its limits or gone: append rejects (the collector answers 503), health()
 * says why, and nothing accepted before is lost; once the server is back, appends work again.
 * A private nats-server with a small store, so the shared one is never filled.
 */
const binary = '/usr/sbin/nats-server';
const available = existsSync(binary);
if (!available && process.env['CI'] === 'true') throw new Error(`${binary} is missing; CI=true requires it`);

let server: ChildProcess | undefined;
let spool: Spool | undefined;
let dir: string | undefined;
afterEach(async () => {
  await spool?.close().catch(() => undefined);
  server?.kill('SIGKILL');
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  spool = server = dir = undefined;
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startServer(port: number, storeDir: string, maxStore: number): Promise<ChildProcess> {
  const conf = join(storeDir, `nats-${maxStore}.conf`);
  writeFileSync(conf, `listen: "127.0.0.1:${port}"\njetstream { store_dir: ${JSON.stringify(storeDir)}, max_file_store: ${maxStore}, max_memory_store: 1048576 }\n`);
  const child = spawn(binary, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Server is ready')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${out}`)));
  });
  return child;
}

const big = () => makeEvent('u1', { properties: { blob: 'x'.repeat(20_000) } });

describe.skipIf(!available)('NATS spool when JetStream is full or unavailable', () => {
  it('refuses appends over the store limit and while the server is down; resumes when it is back; loses nothing accepted', async () => {
    dir = mkdtempSync(join(tmpdir(), 'signal-nats-full-'));
    const port = await freePort();
    server = await startServer(port, dir, 2 * 1024 * 1024);
    spool = await openNatsSpool({ servers: [`nats://127.0.0.1:${port}`], stream_prefix: 'FULL' });

    const stored: string[] = [];
    let refusal: Error | undefined;
    let refused: string | undefined;
    for (let i = 0; i < 500 && refusal === undefined; i++) {
      const e = big();
      try {
        await spool.append([{ event: e, integrations: ['a'], source: 'web' }]);
        stored.push(e.message_id);
      } catch (error) {
        refusal = error as Error;
        refused = e.message_id;
      }
    }
    expect(refusal, 'the store never filled up').toBeDefined();
    expect((refusal as { kind?: string }).kind).toBe('spool');
    expect(refusal!.message).toMatch(/resources|storage|maximum|exceeded/i);
    expect(spool.health()).toMatchObject({ writable: false });
    expect(stored.length).toBeGreaterThan(5);

    // The server goes away: appends fail at once, and say so.
    server.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await expect(spool.append([{ event: big(), integrations: ['a'], source: 'web' }])).rejects.toMatchObject({ kind: 'spool', message: expect.stringMatching(/unavailable|lost|closed|no reply/i) });
    expect(spool.health().writable).toBe(false);

    // Back, with room: the client reconnects by itself, appends work, and everything accepted before is there.
    server = await startServer(port, dir, 64 * 1024 * 1024);
    // With no ingest traffic, a probe write (what /readyz does) finds JetStream writable again.
    let probed = false;
    for (let i = 0; i < 100 && !probed; i++) {
      probed = await spool.probeWrite().then(() => true, () => false);
      if (!probed) await new Promise((r) => setTimeout(r, 200));
    }
    expect(probed).toBe(true);
    expect(spool.health()).toEqual({ writable: true });
    const after = makeEvent('u2');
    let outcome: string[] | undefined;
    for (let i = 0; i < 100 && outcome === undefined; i++) {
      try {
        outcome = (await spool.append([{ event: after, integrations: ['a'], source: 'web' }])).outcomes;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(outcome).toEqual(['stored']);
    expect(spool.health()).toEqual({ writable: true });
    const claimed: string[] = [];
    for (let i = 0; i < 20; i++) {
      claimed.push(...(await spool.claim('a', { limit: 1000, now: Date.now(), leaseMs: 60_000 })).map((j) => j.messageId));
    }
    // The refused request may have been stored in part (the client retries it after the 503, and the
    // retry dedupes): at least once, never lost.
    expect(claimed.filter((id) => id !== refused).sort()).toEqual([...stored, after.message_id].sort());
  }, 60_000);
});

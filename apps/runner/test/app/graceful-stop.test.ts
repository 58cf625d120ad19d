import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeVendor, type FakeHandler, type FakeVendor } from '@signal/core/testkit';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './helpers/vendors.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

/**
 * SIGTERM/SIGINT end `signal start` within http.timeout_ms + 5 s in every state (documented in
 * the README), giving back what it holds; a second signal exits at once. After each stop, a
 * restart delivers every event that was accepted (answered 200) before: nothing is lost.
 */
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const timeoutMs = 2_000;
/** The documented bound, plus slack for a loaded test machine; this is a liveness check, not a speed one. */
const exitWithinMs = timeoutMs + 5_000 + 5_000;
const KEY = 'stop-write-key';
const auth = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;

let vendor: FakeVendor | undefined;
let dir: string | undefined;
/** Ids the vendor answered 200 for: delivered (the oracle, independent of the spool). */
const delivered = new Set<string>();
const healthy: FakeHandler = () => ({ status: 200, body: { ok: true } });
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await vendor?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  vendor = dir = undefined;
});

interface Started {
  child: ChildProcess;
  url: string;
  port: number;
  output: () => string;
}

async function setup(handler: FakeHandler, extra = ''): Promise<string> {
  if (!existsSync(cli)) throw new Error(`build the runner first: ${cli} is missing`);
  delivered.clear();
  let current = handler;
  vendor = await startFakeVendor(async (req, i) => {
    const answer = await current(req, i);
    if ('status' in answer && answer.status === 200) delivered.add(req.json<{ message_id: string }>().message_id);
    return answer;
  });
  vendor.respond = (next) => {
    current = next;
  };
  dir = mkdtempSync(join(tmpdir(), 'signal-stop-'));
  linkWorkspacePlugins(dir);
  const file = join(dir, 'signal.config.yaml');
  writeFileSync(
    file,
    `server: { port: 0, host: 127.0.0.1 }
storage: { driver: sqlite, path: ./data/signal.db }
http: { timeout_ms: ${timeoutMs}, host_overrides: { hooks.example.com: ${vendor.url} } }
sources: [ { id: web, write_key: ${KEY} } ]
integrations:
  - id: webhook
    plugin: "@signal/webhook"
    settings: { url: https://hooks.example.com/in, max_concurrency: 4 }
    retry: { base_ms: 200, cap_ms: 1000, max_attempts: 1000 }
${extra}
pipelines: [ { id: main, sources: [web], integrations: [webhook] } ]
`,
  );
  return file;
}

async function start(file: string): Promise<Started> {
  const child = spawn(process.execPath, [cli, 'start', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"port":(\d+)[^\n]*signal runner started/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`runner exited (${code}) before listening: ${out}`)));
  });
  return { child, port, url: `http://127.0.0.1:${port}`, output: () => out };
}

async function track(url: string, id: string): Promise<number> {
  const res = await fetch(`${url}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    body: JSON.stringify({ event: 'Order Completed', userId: `u-${id}`, messageId: id, properties: { n: 1 } }),
  });
  return res.status;
}

/** Sends the signal and resolves with the exit code, or rejects if the process outlives the bound. */
async function stopWith(s: Started, signal: NodeJS.Signals, second?: { afterMs: number }): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill(signal);
  if (second !== undefined) {
    await new Promise((r) => setTimeout(r, second.afterMs));
    if (s.child.exitCode === null) s.child.kill(signal);
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running ${exitWithinMs} ms after ${signal}:\n${s.output()}`)), exitWithinMs);
  });
  try {
    return await Promise.race([exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Restarts with a healthy vendor and waits until every accepted id was delivered. */
async function deliversAfterRestart(file: string, accepted: string[]): Promise<void> {
  vendor!.respond(healthy);
  const again = await start(file);
  await eventually(async () => (accepted.every((id) => delivered.has(id)) ? true : undefined), 'every accepted event delivered after restart', 30_000);
  await stopWith(again, 'SIGTERM');
  const db = new Database(join(dir!, 'data/signal.db'), { readonly: true });
  const open = db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE state NOT IN ('delivered')`).get() as { n: number };
  db.close();
  expect(open.n).toBe(0);
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('graceful stop is bounded in every state, and loses nothing', () => {
  it('a vendor that never answers: SIGTERM exits (in-flight requests end at the timeout), and the events are delivered after restart', async () => {
    const file = await setup(() => new Promise(() => undefined));
    const s = await start(file);
    const accepted = ids('hang', 10);
    for (const id of accepted) expect(await track(s.url, id)).toBe(200);
    await eventually(async () => (vendor!.requests.length > 0 ? true : undefined), 'a request in flight');
    expect(await stopWith(s, 'SIGTERM')).toBe(0);
    await deliversAfterRestart(file, accepted);
  }, 60_000);

  it('an upload still in flight (a client that stalls mid-body): SIGTERM exits; what was accepted before is kept', async () => {
    const file = await setup(() => ({ status: 503 }));
    const s = await start(file);
    const accepted = ids('upload', 5);
    for (const id of accepted) expect(await track(s.url, id)).toBe(200);
    const socket = connect(s.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"event":"x",`);
    socket.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    expect(await stopWith(s, 'SIGINT')).toBe(0);
    socket.destroy();
    await deliversAfterRestart(file, accepted);
  }, 60_000);

  it('retries pending: SIGTERM exits at once, retry times kept; delivered after restart', async () => {
    const file = await setup(() => ({ status: 500 }));
    const s = await start(file);
    const accepted = ids('retry', 10);
    for (const id of accepted) expect(await track(s.url, id)).toBe(200);
    await eventually(async () => (vendor!.requests.length >= 10 ? true : undefined), 'first attempts failed');
    expect(await stopWith(s, 'SIGTERM')).toBe(0);
    await deliversAfterRestart(file, accepted);
  }, 60_000);

  it('an integration paused by an auth failure: SIGTERM exits; delivered after restart', async () => {
    const file = await setup(() => ({ status: 401 }));
    const s = await start(file);
    const accepted = ids('paused', 5);
    for (const id of accepted) expect(await track(s.url, id)).toBe(200);
    await eventually(async () => (/is paused/.test(s.output()) ? true : undefined), 'the integration paused');
    expect(await stopWith(s, 'SIGTERM')).toBe(0);
    await deliversAfterRestart(file, accepted);
  }, 60_000);

  it('under ingest load: SIGTERM exits while clients keep sending; every event answered 200 is delivered after restart', async () => {
    const file = await setup(async () => {
      await new Promise((r) => setTimeout(r, 50));
      return { status: 200, body: { ok: true } };
    });
    const s = await start(file);
    const accepted: string[] = [];
    let stop = false;
    let n = 0;
    const client = async () => {
      while (!stop) {
        const id = `load-${n++}`;
        try {
          if ((await track(s.url, id)) === 200) accepted.push(id);
        } catch {
          // connection refused/reset once the runner stops: not accepted
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await eventually(async () => (accepted.length >= 200 ? true : undefined), 'ingest under way');
    const code = await stopWith(s, 'SIGTERM');
    stop = true;
    await Promise.all(clients);
    expect(code).toBe(0);
    await deliversAfterRestart(file, accepted);
  }, 90_000);

  it('a second signal exits at once, without waiting for the vendor', async () => {
    const file = await setup(() => new Promise(() => undefined), '');
    const s = await start(file);
    for (const id of ids('twice', 3)) expect(await track(s.url, id)).toBe(200);
    await eventually(async () => (vendor!.requests.length > 0 ? true : undefined), 'a request in flight');
    const code = await stopWith(s, 'SIGTERM', { afterMs: 200 });
    expect(code).not.toBe(0);
    expect(s.output()).toMatch(/second signal/i);
  }, 60_000);
});

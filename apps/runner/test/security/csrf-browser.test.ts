import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDetail } from '../../src/spool/types.js';
import { browserSkipReason, CHROMIUM_PATH } from '../debugger/chromium.js';
import { configFor, eventually, normal, startVendors, type Vendors } from '../app/helpers/vendors.js';
import { cli, freePort, startCli, type StartedCli } from './cli-process.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// A hostile web page, opened in the same browser where the operator has the debugger open (its
// session cookie is set), tries to replay and resume through every shape a page can send without
// a CORS preflight: form posts (urlencoded, text/plain JSON, multipart), no-cors fetch and
// sendBeacon with text/plain, image and script tags, and a preflighted fetch with the token itself.
// Served from another site (evil.test) and from the same site on another port (cookies are sent
// there). The runner is `signal start` with no server.admin_token, as a first-time user runs it.
// The oracle: the fake vendors' recorded requests, and the spool's states.
const KEY = 'test-write-key';
const final = new Set(['delivered', 'rejected', 'dropped', 'dead']);

let vendors: Vendors;
let runner: StartedCli;
let runnerUrl: string;
/** The token `signal start` generated (the operator reads it from the data directory). */
let admin: string | undefined;
const bearer = (): Record<string, string> => (admin === undefined ? {} : { authorization: `Bearer ${admin}` });
let dir: string;
let hostile: Server;
let browser: Browser;

function hostilePage(target: string): string {
  const forcedJson = (integration: string) => JSON.stringify({ status: 'delivered', force: true, integration, pad: '' }).slice(0, -2);
  const routes = ['/api/replay', '/debugger/api/replay', '/api/integrations/launchdarkly/resume', '/debugger/api/integrations/launchdarkly/resume'];
  const forms = routes
    .flatMap((path, i) => [
      `<form id="f${i}a" method="POST" action="${target}${path}" target="frame${i}a"><input name="status" value="delivered"><input name="force" value="true"><input name="integration" value="webhook"></form><iframe name="frame${i}a"></iframe>`,
      // text/plain forms can carry a JSON-looking body: name + "=" + value.
      `<form id="f${i}b" method="POST" enctype="text/plain" action="${target}${path}" target="frame${i}b"><input name='${forcedJson('webhook')}' value='"}'></form><iframe name="frame${i}b"></iframe>`,
      `<form id="f${i}c" method="POST" enctype="multipart/form-data" action="${target}${path}" target="frame${i}c"><input name="status" value="dead"></form><iframe name="frame${i}c"></iframe>`,
    ])
    .join('\n');
  const bodies = [JSON.stringify({ status: 'delivered', force: true, integration: 'webhook' }), JSON.stringify({}), JSON.stringify({ status: 'dead' })];
  return `<!doctype html><html><head><title>cat pictures</title></head><body>
${forms}
<img src="${target}/api/replay?status=delivered&force=true&integration=webhook">
<img src="${target}/api/integrations/launchdarkly/resume">
<script src="${target}/api/replay"></script>
<script src="${target}/debugger/api/replay"></script>
<script>
const target = ${JSON.stringify(target)};
const routes = ${JSON.stringify(routes)};
const bodies = ${JSON.stringify(bodies)};
const attempts = [];
const frames = [...document.querySelectorAll('iframe')].map((f) => new Promise((r) => { f.onload = r; f.onerror = r; setTimeout(r, 5000); }));
for (const form of document.querySelectorAll('form')) form.submit();
for (const path of routes) {
  for (const body of bodies) {
    attempts.push(fetch(target + path, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body }).catch(() => {}));
    attempts.push(fetch(target + path, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + ${JSON.stringify(admin ?? '')} }, body }).catch(() => {}));
    try { navigator.sendBeacon(target + path, new Blob([body], { type: 'text/plain' })); } catch {}
  }
}
const images = [...document.images].map((img) => img.complete ? Promise.resolve() : new Promise((r) => { img.onload = r; img.onerror = r; }));
Promise.allSettled([...attempts, ...frames, ...images]).then(() => { document.title = 'done'; });
</script>
</body></html>`;
}

const settled = (id: string, n: number) =>
  eventually(async () => {
    const res = await fetch(`${runnerUrl}/api/events/${id}`, { headers: bearer() });
    if (res.status !== 200) return undefined;
    const d = (await res.json()) as EventDetail;
    return d.deliveries.length === 4 && d.deliveries.filter((x) => final.has(x.state)).length >= n ? d : undefined;
  }, `event ${id} to settle`);
const snapshot = async (ids: string[]) => {
  const out: Record<string, string> = {};
  for (const id of ids) {
    const d = (await (await fetch(`${runnerUrl}/api/events/${id}`, { headers: bearer() })).json()) as EventDetail;
    for (const x of d.deliveries) out[`${id}/${x.integration}`] = `${x.state}/${x.attempts}`;
  }
  return out;
};
const counts = () => Object.fromEntries(Object.entries(vendors).map(([name, v]) => [name, v.requests.length]));
const send = async (messageId: string) => {
  const res = await fetch(`${runnerUrl}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` },
    body: JSON.stringify({ type: 'track', event: 'Order Completed', userId: `u-${messageId}`, messageId, properties: { order_id: messageId, revenue: 1 } }),
  });
  expect(res.status).toBe(200);
};

describe.skipIf(browserSkipReason !== undefined || !existsSync(cli))('a hostile page cannot drive the admin API (headless Chromium)', () => {
  beforeAll(async () => {
    vendors = await startVendors();
    dir = mkdtempSync(join(tmpdir(), 'signal-csrf-'));
    linkWorkspacePlugins(dir);
    const retry = 'retry: { base_ms: 10, cap_ms: 20, max_attempts: 1, min_window_ms: 0 }';
    const port = await freePort();
    runnerUrl = `http://127.0.0.1:${port}`;
    const config = join(dir, 'signal.config.yaml');
    writeFileSync(config, configFor(vendors, { port, dbPath: './data/signal.db', retry }));
    runner = startCli(['-c', config]);
    await runner.waitFor(/signal runner started/);
    const tokenFile = join(dir, 'data', 'admin-token');
    admin = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined;
    hostile = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(hostilePage(runnerUrl));
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP evil.test 127.0.0.1'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (hostile === undefined ? r(undefined) : hostile.close(r)));
    await runner?.stop();
    await Promise.all(Object.values(vendors ?? {}).map((v) => v.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('0 re-sends and no resume, from another site and from the same site on another port', async () => {
    // Delivered everywhere but CleverTap (dead: one attempt, 503) and LaunchDarkly (401: paused).
    vendors.clevertap.respond(() => ({ status: 503 }));
    vendors.launchdarkly.respond(() => ({ status: 401 }));
    const ids = ['csrf-1', 'csrf-2', 'csrf-3'];
    for (const id of ids) await send(id);
    for (const id of ids) await settled(id, 3);
    await eventually(async () => ((await (await fetch(`${runnerUrl}/api/integrations/paused`, { headers: bearer() })).json()) as { paused: Record<string, string> }).paused['launchdarkly'], 'launchdarkly paused');
    // From now on every vendor accepts: any replay or resume would show as a request.
    vendors.clevertap.respond((req) => normal.clevertap(req.json<{ d: unknown[] }>().d.length));
    vendors.launchdarkly.respond(normal.launchdarkly);
    const before = { states: await snapshot(ids), vendors: counts() };

    const context = await browser.newContext();
    try {
      // The operator's debugger session in this browser: the session cookie is set.
      const operator = await context.newPage();
      expect((await operator.goto(`${runnerUrl}/debugger?token=${admin ?? ''}`))?.status()).toBe(200);
      expect(await context.cookies(runnerUrl)).toHaveLength(1);

      const port = (hostile.address() as AddressInfo).port;
      for (const origin of [`http://evil.test:${port}`, `http://127.0.0.1:${port}`]) {
        const page = await context.newPage();
        await page.goto(`${origin}/`);
        await page.waitForFunction("document.title === 'done'", undefined, { timeout: 20_000 });
        await page.close();
      }

      // A fresh event through the same lanes: once it is delivered, the engine has had its turns after the attack.
      await send('csrf-canary');
      await settled('csrf-canary', 3);
      expect(await snapshot(ids)).toEqual(before.states);
      const after = counts();
      for (const name of ['leanplum', 'clevertap', 'webhook'] as const) expect(after[name], name).toBe(before.vendors[name]! + 1);
      expect(after['launchdarkly'], 'launchdarkly (paused: nothing sent)').toBe(before.vendors['launchdarkly']);
      const paused = ((await (await fetch(`${runnerUrl}/api/integrations/paused`, { headers: bearer() })).json()) as { paused: Record<string, string> }).paused;
      expect(Object.keys(paused)).toEqual(['launchdarkly']);
      for (const id of ids) expect(vendors.webhook.requests.filter((r) => r.body.includes(id)), id).toHaveLength(1);

      // The operator's own page still works with the same cookie (the refusals were the attacker's).
      await operator.reload();
      await expect.poll(() => operator.getByTestId('live-status').textContent()).toBe('live');
    } finally {
      await context.close();
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/dev/sandbox.js';
import { devAdminToken, devWriteKey } from '../../src/dev/sample-config.js';
import { browserSkipReason, launchChromium } from './chromium.js';

// `signal dev` as a newcomer uses it: the debugger tells a fake vendor to fail, and the page shows
// the retry, the dead letter (the sample config's short retry policy), the replay, the 429's
// Retry-After, the auth pause and its resume, and a slow vendor's in-flight requests.
let sandbox: Sandbox;
let browser: Browser;
let page: Page;
let dir: string;
const lines: string[] = [];
const poll = <T>(fn: () => T | Promise<T>, timeout = 20_000) => expect.poll(fn, { timeout });

const eventRow = (id: string) => page.locator(`[data-testid=event-row][data-message-id="${id}"]`);
const chip = (id: string, integration: string, state: string) => eventRow(id).locator(`[data-testid=chip][data-integration="${integration}"][data-state="${state}"]`);
const card = (integration: string) => page.locator(`[data-testid=integration][data-integration="${integration}"]`);
const delivery = (integration: string) => page.locator(`[data-testid=delivery][data-integration="${integration}"]`);

async function track(messageId: string): Promise<void> {
  const res = await fetch(`${sandbox.runner.url}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${devWriteKey}:`).toString('base64')}` },
    body: JSON.stringify({ userId: `user-${messageId}`, messageId, event: 'Order Completed', properties: { order_id: messageId, revenue: 10, currency: 'EUR' } }),
  });
  expect(res.status).toBe(200);
}

async function answer(vendor: string, mode: string): Promise<void> {
  await page.click('#tab-integrations');
  await card(vendor).getByTestId('fault-select').selectOption(mode);
  await poll(() => lines.some((l) => l.startsWith(`fake ${vendor} now answers`)) && sandbox.vendors.vendors.find((v) => v.name === vendor)!.fault.mode).toBe(mode);
  await page.click('#tab-events');
}

const stateIn = async (messageId: string, integration: string) => (await sandbox.runner.spool.event(messageId))?.deliveries.find((d) => d.integration === integration);

describe.skipIf(browserSkipReason !== undefined)('signal dev: fake vendors told to fail from the debugger', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signal-dev-faults-'));
    [sandbox, browser] = await Promise.all([startSandbox({ port: 0, dataDir: dir, print: (l) => lines.push(l), engine: { lingerMs: 20, pollIntervalMs: 50 } }), launchChromium()]);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${sandbox.runner.url}/debugger?token=${devAdminToken}`);
    await page.locator('#live-status[data-state=live]').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('HTTP 500: retries, then a dead letter within seconds; back to normal, a replay delivers it', async () => {
    await answer('webhook', 'error');
    await track('fault-500');
    await chip('fault-500', 'clevertap', 'delivered').waitFor();
    await chip('fault-500', 'webhook', 'dead').waitFor({ timeout: 30_000 });
    const dead = await stateIn('fault-500', 'webhook');
    expect(dead!.attempts).toBe(4);
    expect(dead!.lastResult).toMatchObject({ status: 'retry' });

    await answer('webhook', 'normal');
    await eventRow('fault-500').click();
    await delivery('webhook').getByTestId('replay-one').click();
    expect(await page.getByTestId('confirm-text').textContent()).toMatch(/^Re-send event fault-500 to webhook\? It is dead/);
    await page.getByTestId('confirm-ok').click();
    await chip('fault-500', 'webhook', 'delivered').waitFor();
    expect(sandbox.vendors.vendors.find((v) => v.name === 'webhook')!.received.filter((r) => r.body.includes('fault-500')).length).toBe(5);
  });

  it('HTTP 429 with Retry-After: retried no sooner than the vendor asked', async () => {
    await answer('clevertap', 'rate-limit');
    await track('fault-429');
    await chip('fault-429', 'clevertap', 'retry').waitFor();
    const waiting = await sandbox.runner.spool.event('fault-429');
    const ct = waiting!.deliveries.find((d) => d.integration === 'clevertap')!;
    expect(ct.history[0]!.exchange!.response).toMatchObject({ status: 429, headers: expect.objectContaining({ 'retry-after': '5' }) });
    expect(ct.retryAt! - ct.history[0]!.at).toBeGreaterThanOrEqual(5_000);
    await eventRow('fault-429').click();
    await poll(() => delivery('clevertap').getByTestId('response').first().textContent()).toMatch(/^HTTP 429[\s\S]*retry-after: 5/);

    await answer('clevertap', 'normal');
    await chip('fault-429', 'clevertap', 'delivered').waitFor({ timeout: 30_000 });
  });

  it('HTTP 401: the integration pauses and says so; back to normal, Resume delivers what waited', async () => {
    await answer('launchdarkly', 'unauthorized');
    await track('fault-401');
    await page.click('#tab-integrations');
    await poll(() => card('launchdarkly').getAttribute('data-paused')).toBe('true');
    expect(await card('launchdarkly').getByTestId('paused-reason').textContent()).toMatch(/401/);
    await card('launchdarkly').getByTestId('fault-select').selectOption('normal');
    await poll(() => sandbox.vendors.vendors.find((v) => v.name === 'launchdarkly')!.fault.mode).toBe('normal');
    await card('launchdarkly').getByTestId('resume').click();
    await poll(() => card('launchdarkly').getAttribute('data-paused')).toBe('false');
    await page.click('#tab-events');
    await chip('fault-401', 'launchdarkly', 'delivered').waitFor();
  });

  it('slowly: the request stays in flight, then completes', async () => {
    await answer('leanplum', 'slow');
    await track('fault-slow');
    await chip('fault-slow', 'webhook', 'delivered').waitFor();
    // The row appeared with the first finished delivery; the detail shows Leanplum's request still out.
    await eventRow('fault-slow').click();
    await poll(() => delivery('leanplum').getByTestId('final-state').textContent()).toBe('inflight');
    await answer('leanplum', 'normal');
    await chip('fault-slow', 'leanplum', 'delivered').waitFor();
    expect((await stateIn('fault-slow', 'leanplum'))!.attempts).toBe(1);
  });
});

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { browserSkipReason, launchChromium } from './chromium.js';
import { LEANPLUM_SECRET, startDebuggerRunner, type DebuggerRunner } from './runner-harness.js';

// The debugger page driven in headless Chromium against a runner with the real collector, engine,
// plugins and fake vendors. Playwright's locator waits do the waiting; nothing is timed.
const TOKEN = 'debugger-admin-token-1';
let runner: DebuggerRunner;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[] = [];

const row = (messageId: string, integration: string, state?: string) =>
  page.locator(`[data-testid=row][data-message-id="${messageId}"][data-integration="${integration}"]${state === undefined ? '' : `[data-state="${state}"]`}`);

async function openDebugger(): Promise<void> {
  const res = await page.goto(`${runner.url}/debugger?token=${TOKEN}`);
  expect(res?.status()).toBe(200);
  await expect.poll(() => page.getByTestId('live-status').textContent()).toBe('live');
}

describe.skipIf(browserSkipReason !== undefined)('debugger page (headless Chromium)', () => {
  beforeAll(async () => {
    [runner, browser] = await Promise.all([startDebuggerRunner(TOKEN), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await runner?.stop();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/401/.test(m.text())) pageErrors.push(m.text());
    });
    runner.vendors.webhook.respond(() => ({ status: 200, body: { ok: true } }));
  });
  afterEach(async () => {
    await context.close();
    // A CSP violation (e.g. a script hash gone stale) shows up here as a console error.
    expect(pageErrors).toEqual([]);
  });

  it('refuses without the token (401), takes the token out of the URL and keeps an HttpOnly SameSite=Strict session across reloads', async () => {
    const refused = await page.goto(`${runner.url}/debugger`);
    expect(refused?.status()).toBe(401);
    await expect.poll(() => page.locator('body').innerText()).toContain('Unauthorized');
    expect(await page.locator('body').innerText()).not.toContain('Signal event debugger');

    const api = await page.request.get(`${runner.url}/debugger/api/deliveries`);
    expect(api.status()).toBe(401);

    await openDebugger();
    expect(page.url()).toBe(`${runner.url}/debugger`);
    const cookies = await context.cookies(runner.url);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0]!.value).not.toContain(TOKEN);
    // The script never holds the token: nothing readable in the page keeps it.
    expect(await page.evaluate<string>('document.cookie + JSON.stringify(sessionStorage) + JSON.stringify(localStorage)')).not.toContain(TOKEN);
    await page.reload();
    await expect.poll(() => page.getByTestId('live-status').textContent()).toBe('live');
    expect(page.url()).toBe(`${runner.url}/debugger`);

    const wrong = await page.goto(`${runner.url}/debugger?token=not-the-admin-token`);
    expect(wrong?.status()).toBe(401);
    await expect.poll(() => page.locator('#hint').innerText()).toContain('does not match');
  });

  it('an event sent to the collector appears live; its detail shows input, payload, the request with the secret masked, the response and the final state', async () => {
    await openDebugger();
    const res = await runner.send('/v1/track', {
      event: 'Order Completed',
      userId: 'debug-user-1',
      messageId: 'dbg-order-1',
      properties: { order_id: 'o-1', revenue: 19.9, currency: 'EUR' },
    });
    expect(res.status).toBe(200);

    await row('dbg-order-1', 'leanplum', 'delivered').waitFor();
    await row('dbg-order-1', 'webhook', 'delivered').waitFor();
    await row('dbg-order-1', 'leanplum').click();

    const leanplum = page.locator('[data-testid=delivery][data-integration=leanplum]');
    await expect.poll(() => leanplum.getByTestId('final-state').textContent()).toBe('delivered');
    expect(await page.getByTestId('input-event').textContent()).toContain('"user_id": "debug-user-1"');
    expect(await leanplum.getByTestId('payload').textContent()).toContain('Purchase');
    const request = (await leanplum.getByTestId('request').textContent()) ?? '';
    expect(request).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/api/);
    expect(request).toContain('[REDACTED]');
    expect(await leanplum.getByTestId('response').textContent()).toMatch(/^HTTP 200[\s\S]*"success": true/);
    await page.locator('[data-testid=delivery][data-integration=webhook] [data-testid=request]').waitFor();

    // The vendor really received the secret (so masking it here means something) …
    expect(runner.vendors.leanplum.requests.some((r) => (r.path + r.body).includes(LEANPLUM_SECRET))).toBe(true);
    // … and the page holds it nowhere: not in its text, not in its DOM.
    expect(await page.locator('body').innerText()).not.toContain(LEANPLUM_SECRET);
    expect(await page.content()).not.toContain(LEANPLUM_SECRET);
  });

  it('filters by integration and state, and replays dead-lettered deliveries', async () => {
    runner.vendors.webhook.respond(() => ({ status: 503, body: { error: 'down' } }));
    await openDebugger();
    await runner.send('/v1/track', { event: 'Product Viewed', userId: 'debug-user-2', messageId: 'dbg-dead-1', properties: { product_id: 'p-9' } });
    await row('dbg-dead-1', 'webhook', 'dead').waitFor();

    await page.selectOption('#filter-state', 'dead');
    await row('dbg-dead-1', 'leanplum').waitFor({ state: 'detached' });
    await row('dbg-dead-1', 'webhook', 'dead').waitFor();
    expect(await page.locator('[data-testid=row]:not([data-state=dead])').count()).toBe(0);

    await page.selectOption('#filter-integration', 'leanplum');
    await row('dbg-dead-1', 'webhook').waitFor({ state: 'detached' });

    // The detail offers a per-event replay where the delivery is dead-lettered, and only there.
    await page.selectOption('#filter-integration', '');
    await row('dbg-dead-1', 'webhook', 'dead').click();
    await page.locator('[data-testid=delivery][data-integration=webhook] [data-testid=replay-one]').waitFor();
    await page.locator('[data-testid=delivery][data-integration=leanplum]').waitFor();
    expect(await page.locator('[data-testid=delivery][data-integration=leanplum] [data-testid=replay-one]').count()).toBe(0);

    runner.vendors.webhook.respond(() => ({ status: 200, body: { ok: true } }));
    await page.selectOption('#filter-integration', 'webhook');
    await row('dbg-dead-1', 'webhook', 'dead').waitFor();
    await page.click('#replay-dead');
    await expect.poll(() => page.getByTestId('notice').textContent()).toMatch(/^Replayed [1-9]\d* deliver/);

    await page.selectOption('#filter-state', '');
    await row('dbg-dead-1', 'webhook', 'delivered').waitFor();
    expect(runner.vendors.webhook.requests.filter((r) => r.body.includes('dbg-dead-1')).length).toBeGreaterThanOrEqual(3);
  });

  it('renders attacker-controlled event data as text: no markup is parsed, no script runs', async () => {
    await openDebugger();
    const evil = '<img src=x onerror="window.__pwned=1">';
    await runner.send('/v1/track', {
      event: evil,
      userId: '<script>window.__pwned=2</script>',
      messageId: 'dbg-xss-1',
      properties: { note: '</pre><svg onload="window.__pwned=3">' },
    });
    await row('dbg-xss-1', 'webhook', 'delivered').waitFor();
    expect(await row('dbg-xss-1', 'webhook').locator('td').nth(1).textContent()).toBe(`track ${evil}`);
    await row('dbg-xss-1', 'webhook').click();
    await page.locator('[data-testid=delivery][data-integration=webhook] [data-testid=request]').waitFor();
    expect(await page.getByTestId('input-event').textContent()).toContain('<svg onload=');
    expect(await page.locator('#detail img, #detail svg, #detail script, #list img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
  });
});

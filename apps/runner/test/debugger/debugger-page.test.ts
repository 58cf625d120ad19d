import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { browserSkipReason, launchChromium } from './chromium.js';
import { LEANPLUM_SECRET, startDebuggerRunner, type DebuggerRunner } from './runner-harness.js';

// The debugger page driven in headless Chromium against a whole runner (startRunner) with real
// plugins and fake vendors. Playwright's locator waits do the waiting; nothing is timed.
const TOKEN = 'debugger-admin-token-1';
let runner: DebuggerRunner;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[] = [];

const eventRow = (messageId: string) => page.locator(`[data-testid=event-row][data-message-id="${messageId}"]`);
const chip = (messageId: string, integration: string, state?: string) =>
  eventRow(messageId).locator(`[data-testid=chip][data-integration="${integration}"]${state === undefined ? '' : `[data-state="${state}"]`}`);
const delivery = (integration: string) => page.locator(`[data-testid=delivery][data-integration="${integration}"]`);
const card = (integration: string) => page.locator(`[data-testid=integration][data-integration="${integration}"]`);
const requestsFor = (vendor: { requests: { body: string }[] }, messageId: string) => vendor.requests.filter((r) => r.body.includes(messageId)).length;

async function openDebugger(): Promise<void> {
  const res = await page.goto(`${runner.url}/debugger?token=${TOKEN}`);
  expect(res?.status()).toBe(200);
  await poll(() => page.getByTestId('live-status').textContent()).toBe('live');
}

async function search(fields: { message_id?: string; user?: string; event?: string }): Promise<void> {
  await page.fill('#search-message-id', fields.message_id ?? '');
  await page.fill('#search-user', fields.user ?? '');
  await page.fill('#search-event', fields.event ?? '');
  await page.click('#search-go');
}

/** Waits for a value (the Integrations view refreshes every 2 s; deliveries retry): fails only if it never comes. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });

const shownIds = () => page.locator('[data-testid=event-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-message-id')));

describe.skipIf(browserSkipReason !== undefined)('debugger page (headless Chromium)', () => {
  beforeAll(async () => {
    [runner, browser] = await Promise.all([startDebuggerRunner(TOKEN), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await runner?.stop();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/401/.test(m.text())) pageErrors.push(m.text());
    });
    for (const v of Object.values(runner.vendors)) v.respond(() => ({ status: 200, body: v === runner.vendors.leanplum ? { response: [{ success: true }] } : { ok: true } }));
    // A test that ended with a vendor refusing credentials must not leave its integration paused.
    for (const id of ['leanplum', 'webhook', 'crm']) {
      await fetch(`${runner.url}/debugger/api/integrations/${id}/resume`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    }
  });
  afterEach(async () => {
    await context.close();
    // A CSP violation (e.g. a script hash gone stale) shows up here as a console error.
    expect(pageErrors).toEqual([]);
  });

  it('refuses without the token (401), takes the token out of the URL and keeps an HttpOnly SameSite=Strict session across reloads', async () => {
    const refused = await page.goto(`${runner.url}/debugger`);
    expect(refused?.status()).toBe(401);
    await poll(() => page.locator('body').innerText()).toContain('Unauthorized');
    expect(await page.locator('body').innerText()).not.toContain('Signal event debugger');

    const api = await page.request.get(`${runner.url}/debugger/api/events`);
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
    await poll(() => page.getByTestId('live-status').textContent()).toBe('live');
    expect(page.url()).toBe(`${runner.url}/debugger`);

    const wrong = await page.goto(`${runner.url}/debugger?token=not-the-admin-token`);
    expect(wrong?.status()).toBe(401);
    await poll(() => page.locator('#hint').innerText()).toContain('does not match');
  });

  it('shows an event live as one row with a status chip per integration and its date; the detail shows input, payload, the masked request, the response and the final state', async () => {
    await openDebugger();
    const res = await runner.send('/v1/track', {
      event: 'Order Completed',
      userId: 'debug-user-1',
      messageId: 'dbg-order-1',
      properties: { order_id: 'o-1', revenue: 19.9, currency: 'EUR' },
    });
    expect(res.status).toBe(200);

    await chip('dbg-order-1', 'leanplum', 'delivered').waitFor();
    await chip('dbg-order-1', 'webhook', 'delivered').waitFor();
    // No consent for crm's categories: dropped, and shown so.
    await chip('dbg-order-1', 'crm', 'dropped').waitFor();
    expect(await eventRow('dbg-order-1').count()).toBe(1);
    const cells = await eventRow('dbg-order-1').locator('td').allTextContents();
    expect(cells[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(cells[0]!.slice(0, 4)).toBe(String(new Date().getFullYear()));
    expect(cells[1]).toBe('track Order Completed');
    expect(cells[2]).toBe('debug-user-1');
    expect(cells[5]).toBe('dbg-order-1');

    await eventRow('dbg-order-1').click();
    const leanplum = delivery('leanplum');
    await poll(() => leanplum.getByTestId('final-state').textContent()).toBe('delivered');
    expect(await page.getByTestId('input-event').textContent()).toContain('"user_id": "debug-user-1"');
    expect(await leanplum.getByTestId('payload').textContent()).toContain('Purchase');
    const request = (await leanplum.getByTestId('request').textContent()) ?? '';
    expect(request).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/api/);
    expect(request).toContain('[REDACTED]');
    expect(await leanplum.getByTestId('response').textContent()).toMatch(/^HTTP 200[\s\S]*"success": true/);
    expect(await page.getByTestId('detail').innerText()).toMatch(/Received\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    await delivery('webhook').getByTestId('request').waitFor();

    // The vendor really received the secret (so masking it here means something) …
    expect(runner.vendors.leanplum.requests.some((r) => (r.path + r.body).includes(LEANPLUM_SECRET))).toBe(true);
    // … and the page holds it nowhere: not in its text, not in its DOM.
    expect(await page.locator('body').innerText()).not.toContain(LEANPLUM_SECRET);
    expect(await page.content()).not.toContain(LEANPLUM_SECRET);
  });

  it('shows a stored event at once, before any delivery attempt has finished', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    for (const v of Object.values(runner.vendors)) {
      v.respond(async () => {
        await gate;
        return { status: 200, body: v === runner.vendors.leanplum ? { response: [{ success: true }] } : { ok: true } };
      });
    }
    await openDebugger();
    await runner.send('/v1/track', { event: 'Product Viewed', userId: 'early-user', messageId: 'dbg-early-1', context: { consent: { categories: ['marketing'] } } });
    await eventRow('dbg-early-1').waitFor();
    const states = await eventRow('dbg-early-1').locator('[data-testid=chip]').evaluateAll((chips) => chips.map((c) => c.getAttribute('data-state')));
    expect(states).toHaveLength(3);
    expect(states.every((s) => s === 'pending' || s === 'inflight')).toBe(true);
    release();
    for (const id of ['leanplum', 'webhook', 'crm']) await chip('dbg-early-1', id, 'delivered').waitFor();
  });

  it('searches by message id, user id, anonymous id and event name, server-side', async () => {
    await runner.send('/v1/batch', {
      batch: [
        { type: 'track', event: 'Product Viewed', userId: 'finder-1', messageId: 'find-1' },
        { type: 'track', event: 'Checkout Started', anonymousId: 'finder-anon-2', messageId: 'find-2' },
        { type: 'track', event: 'Product Viewed', userId: 'finder-3', anonymousId: 'finder-anon-3', messageId: 'find-3' },
      ],
    });
    await openDebugger();
    await search({ message_id: 'find-2' });
    await poll(shownIds).toEqual(['find-2']);
    await search({ user: 'finder-1' });
    await poll(shownIds).toEqual(['find-1']);
    await search({ user: 'finder-anon-3' });
    await poll(shownIds).toEqual(['find-3']);
    await search({ event: 'checkout started' });
    await poll(shownIds).toEqual(['find-2']);
    await search({ event: 'Product Viewed', user: 'finder-3' });
    await poll(shownIds).toEqual(['find-3']);
    await search({ message_id: 'no-such-event' });
    await poll(shownIds).toEqual([]);
    await poll(() => page.getByTestId('more-note').textContent()).toBe('0 matching events.');
    await page.click('#search-clear');
    await poll(async () => (await shownIds()).length).toBeGreaterThanOrEqual(3);
  });

  it('clips no column at 1280 px, even with very long names, ids and many integrations', async () => {
    const longName = `Very Long Event Name ${'Abcdefghij'.repeat(12)}`;
    await runner.send('/v1/track', { event: longName, userId: `user-${'x'.repeat(150)}`, anonymousId: `anon-${'y'.repeat(80)}`, messageId: `clip-${'0123456789abcdef'.repeat(6)}` });
    await runner.send('/v1/track', { event: 'Order Completed', userId: 'u', messageId: '6f1c2b7e-93a4-4c55-9d0e-1b2a3c4d5e6f' });
    await openDebugger();
    await eventRow('6f1c2b7e-93a4-4c55-9d0e-1b2a3c4d5e6f').waitFor();
    await eventRow(`clip-${'0123456789abcdef'.repeat(6)}`).waitFor();
    // In the page (a string: this package's TypeScript has no DOM types).
    const geometry = await page.evaluate<{ clipped: string[]; list: number[]; page: number[] }>(`(() => {
      const list = document.getElementById('list');
      const clipped = [...list.querySelectorAll('th, td')]
        .filter((c) => c.scrollWidth > c.clientWidth)
        .map((c) => c.tagName + ' "' + (c.textContent || '').slice(0, 40) + '" ' + c.scrollWidth + ' > ' + c.clientWidth);
      return { clipped, list: [list.scrollWidth, list.clientWidth], page: [document.documentElement.scrollWidth, window.innerWidth] };
    })()`);
    expect(geometry.clipped).toEqual([]);
    expect(geometry.list[0]).toBeLessThanOrEqual(geometry.list[1]!);
    expect(geometry.page[0]).toBeLessThanOrEqual(geometry.page[1]!);
    // And every value is there in full, not cut short.
    expect(await eventRow(`clip-${'0123456789abcdef'.repeat(6)}`).locator('td').nth(1).textContent()).toBe(`track ${longName}`);
  });

  it('re-sends one event to one integration in any final state, after a confirmation that says so', async () => {
    await openDebugger();
    await runner.send('/v1/track', { event: 'Product Viewed', userId: 'replay-user', messageId: 'dbg-replay-1', properties: { product_id: 'p-1' } });
    await chip('dbg-replay-1', 'webhook', 'delivered').waitFor();
    await chip('dbg-replay-1', 'leanplum', 'delivered').waitFor();
    await eventRow('dbg-replay-1').click();

    const button = delivery('webhook').getByTestId('replay-one');
    await button.click();
    await page.getByTestId('confirm').waitFor();
    expect(await page.getByTestId('confirm-text').textContent()).toMatch(/^Re-send event dbg-replay-1 to webhook\? It was already delivered: Signal will send it again/);
    await page.getByTestId('confirm-cancel').click();
    await page.getByTestId('confirm').waitFor({ state: 'hidden' });
    expect((await runner.runner.spool.event('dbg-replay-1'))!.deliveries.find((d) => d.integration === 'webhook')!.state).toBe('delivered');

    await button.click();
    await page.getByTestId('confirm-ok').click();
    await poll(() => page.getByTestId('notice').textContent()).toMatch(/^Replayed 1 delivery/);
    await poll(() => requestsFor(runner.vendors.webhook, 'dbg-replay-1')).toBe(2);
    await poll(() => delivery('webhook').locator('[data-testid=attempt]').count()).toBe(2);
    // Only the integration asked for: Leanplum got it once (its requests name the user, not the message).
    expect(runner.vendors.leanplum.requests.filter((r) => (r.path + r.body).includes('replay-user')).length).toBe(1);

    // A dropped delivery can be sent again too (here: still without consent, so dropped again).
    await delivery('crm').getByTestId('replay-one').click();
    expect(await page.getByTestId('confirm-text').textContent()).toMatch(/It was dropped \(dropped: no consent for: marketing\)/);
    await page.getByTestId('confirm-ok').click();
    await poll(() => delivery('crm').locator('[data-testid=attempt]').count()).toBe(2);
  });

  it('filters by integration and state, and replays dead-lettered deliveries in bulk', async () => {
    runner.vendors.webhook.respond(() => ({ status: 503, body: { error: 'down' } }));
    await openDebugger();
    await runner.send('/v1/track', { event: 'Product Viewed', userId: 'debug-user-2', messageId: 'dbg-dead-1', properties: { product_id: 'p-9' } });
    await chip('dbg-dead-1', 'webhook', 'dead').waitFor();

    await page.selectOption('#filter-state', 'dead');
    await poll(shownIds).toContain('dbg-dead-1');
    await poll(() => page.locator('[data-testid=event-row]:not(:has([data-testid=chip][data-state=dead]))').count()).toBe(0);
    await page.selectOption('#filter-integration', 'leanplum');
    await eventRow('dbg-dead-1').waitFor({ state: 'detached' });

    // Non-final deliveries cannot be re-sent (they are queued already); final ones can.
    await page.selectOption('#filter-integration', 'webhook');
    await eventRow('dbg-dead-1').click();
    await delivery('webhook').getByTestId('replay-one').waitFor();
    expect(await delivery('webhook').getByTestId('replay-one').isEnabled()).toBe(true);

    runner.vendors.webhook.respond(() => ({ status: 200, body: { ok: true } }));
    await page.click('#replay-dead');
    expect(await page.getByTestId('confirm-text').textContent()).toMatch(/^Re-send webhook's dead-lettered events\?/);
    await page.getByTestId('confirm-ok').click();
    await poll(() => page.getByTestId('notice').textContent()).toMatch(/^Replayed [1-9]\d* deliver/);

    await page.selectOption('#filter-state', '');
    await chip('dbg-dead-1', 'webhook', 'delivered').waitFor();
    expect(requestsFor(runner.vendors.webhook, 'dbg-dead-1')).toBeGreaterThanOrEqual(3);
  });

  it('shows rejected ingest requests live, with status and reason', async () => {
    await openDebugger();
    const bad = await runner.send('/v1/track', { event: 'X', userId: 'u' }, 'not-a-configured-key');
    expect(bad.status).toBe(401);
    const invalid = await runner.send('/v1/track', { event: 'No User' });
    expect(invalid.status).toBe(400);
    await page.locator('[data-testid=rejection][data-status="401"]').first().waitFor({ state: 'attached' });
    await page.locator('[data-testid=rejection][data-status="400"]').first().waitFor({ state: 'attached' });
    await poll(() => page.locator('#rejections-title').textContent()).toMatch(/^Rejected ingest requests: [2-9]/);
    await page.locator('#rejections summary').click();
    const text = await page.getByTestId('rejections').innerText();
    expect(text).toContain('/v1/track');
    expect(text).toContain('unknown write key');
    expect(text).not.toContain('not-a-configured-key');
    // Opened later, the page still lists them.
    await page.reload();
    await page.locator('[data-testid=rejection][data-status="401"]').first().waitFor({ state: 'attached' });
  });

  it('Integrations: plugin, version, preset, the merged event map, consent, concurrency, queue; pause and resume; send test event', async () => {
    await openDebugger();
    await page.click('#tab-integrations');
    const lp = card('leanplum');
    await lp.waitFor();
    expect(await lp.getByTestId('plugin').textContent()).toBe('@signal/leanplum (Leanplum)');
    expect(await lp.getByTestId('version').textContent()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await lp.getByTestId('preset').textContent()).toMatch(/^retail — Retail:/);
    expect(await lp.getByTestId('consent').textContent()).toBe('none required');
    expect(await lp.getByTestId('concurrency').textContent()).toBe('10 requests at once');
    const mapRow = (c: typeof lp, event: string) => c.locator(`[data-testid=map-row][data-event="${event}"] td`).allTextContents();
    expect(await mapRow(lp, 'Order Completed')).toEqual(['Order Completed', 'Purchase', 'value ← properties.revenue\ncurrencyCode ← properties.currency', '', 'products', 'preset']);
    // The retail preset leaves products out of Purchase alone: nothing applies to every event.
    expect(await lp.getByTestId('map-all-events').count()).toBe(0);
    expect((await mapRow(lp, 'Product Added')).slice(0, 2)).toEqual(['Product Added', 'AddToBasket']);
    expect((await mapRow(lp, 'Product Added')).at(-1)).toBe('preset + override');
    expect((await mapRow(lp, 'Wishlist Product Added')).at(-1)).toBe('override');

    const crm = card('crm');
    expect(await crm.getByTestId('consent').textContent()).toMatch(/^marketing/);
    expect(await crm.getByTestId('concurrency').textContent()).toBe('2 requests at once');
    expect((await mapRow(crm, 'Debug Noise')).slice(0, 2)).toEqual(['Debug Noise', 'drop']);
    expect(await crm.innerText()).toContain('Events not listed are sent under their own name.');
    await poll(() => crm.getByTestId('queue').textContent()).toMatch(/^0 waiting/);

    // Bad credentials pause the integration; the card says so and offers Resume.
    runner.vendors.webhook.respond(() => ({ status: 401, body: { error: 'bad token' } }));
    await runner.send('/v1/track', { event: 'Product Viewed', userId: 'pause-user', messageId: 'dbg-pause-1' });
    const wh = card('webhook');
    await poll(() => wh.getAttribute('data-paused')).toBe('true');
    expect(await wh.getByTestId('status').textContent()).toBe('paused');
    expect(await wh.getByTestId('paused-reason').textContent()).toMatch(/^HTTP 401: the vendor refused/);
    await poll(() => wh.getByTestId('queue').textContent()).toMatch(/^[1-9]\d* waiting/);
    runner.vendors.webhook.respond(() => ({ status: 200, body: { ok: true } }));
    await wh.getByTestId('resume').click();
    await poll(() => wh.getAttribute('data-paused')).toBe('false');
    await poll(async () => (await runner.runner.spool.event('dbg-pause-1'))!.deliveries.find((d) => d.integration === 'webhook')!.state).toBe('delivered');

    // Send test event: the sample event goes to the vendor now, and the card shows the result.
    const before = runner.vendors.leanplum.requests.length;
    await lp.getByTestId('send-test-event').selectOption('Order Completed');
    await lp.getByTestId('send-test').click();
    await poll(() => lp.getByTestId('send-test-result').getAttribute('data-status')).toBe('delivered');
    expect(await lp.getByTestId('send-test-status').textContent()).toBe('delivered');
    expect(await lp.getByTestId('send-test-result').getByTestId('payload').textContent()).toContain('Purchase');
    expect(await lp.getByTestId('send-test-result').getByTestId('request').textContent()).toContain('[REDACTED]');
    const sent = runner.vendors.leanplum.requests.slice(before);
    expect(sent.some((r) => /send-test-\d+/.test(r.path + r.body) || r.body.includes('signal-test-user') || r.path.includes('signal-test-user'))).toBe(true);
    expect(await page.content()).not.toContain(LEANPLUM_SECRET);
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
    await runner.send('/v1/track', { event: 'X', userId: 'u' }, '<img src=x onerror="window.__pwned=4">');
    await chip('dbg-xss-1', 'webhook', 'delivered').waitFor();
    expect(await eventRow('dbg-xss-1').locator('td').nth(1).textContent()).toBe(`track ${evil}`);
    await search({ event: evil });
    await poll(shownIds).toEqual(['dbg-xss-1']);
    await eventRow('dbg-xss-1').click();
    await delivery('webhook').getByTestId('request').waitFor();
    expect(await page.getByTestId('input-event').textContent()).toContain('<svg onload=');
    await delivery('webhook').getByTestId('replay-one').click();
    expect(await page.getByTestId('confirm-text').textContent()).toContain('dbg-xss-1');
    await page.getByTestId('confirm-cancel').click();
    await page.locator('[data-testid=rejection]').first().waitFor({ state: 'attached' });
    expect(await page.locator('#detail img, #detail svg, #detail script, #list img, #rejections img, dialog img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
  });
});

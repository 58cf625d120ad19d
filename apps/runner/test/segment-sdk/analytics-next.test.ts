import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { browserSkipReason, launchChromium } from '../debugger/chromium.js';
import { expectVendorFields, startSdkRunner, type SdkRunner } from './sdk-runner.js';

// Segment's browser SDK, @segment/analytics-next, unmodified: its UMD build from node_modules,
// in a shop page served from its own local origin (so every call is cross-origin, as on a real
// site), posting to Signal's collector. No CDN: its settings are given inline, and any request
// leaving 127.0.0.1 fails the test.
const WRITE_KEY = 'analytics-next-write-key';
const umdDir = join(dirname(createRequire(import.meta.url).resolve('@segment/analytics-next/package.json')), 'dist', 'umd');
let sdk: SdkRunner;
let shop: Server;
let shopUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let offsite: string[];
let sent: { method: string; path: string; authorization?: string; contentType?: string }[];

const shopPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1><script src="/analytics-next/bundles/index.js"></script></body></html>`;

/** The shop's origin: the page, and the SDK's own files (its lazily loaded chunks included) from node_modules. */
function startShop(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(shopPage);
    const file = /^\/analytics-next\/bundles\/([\w.-]+\.js)$/.exec(path)?.[1];
    if (file === undefined) return void res.writeHead(404).end();
    readFile(join(umdDir, file)).then(
      (body) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface Sent {
  identify: string;
  track: string;
  page: string;
}

/** The bits of the UMD build's global the page uses (this package's TypeScript has no DOM types). */
interface CallContext {
  event: { messageId: string };
}
interface AnalyticsNextGlobal {
  AnalyticsNext: {
    AnalyticsBrowser: {
      load(settings: unknown): Promise<
        [
          {
            identify(user: string, traits: object): Promise<CallContext>;
            track(event: string, properties: object): Promise<CallContext>;
            page(name: string, properties: object): Promise<CallContext>;
          },
        ]
      >;
    };
  };
  location: { origin: string };
}

/** Runs in the shop page: loads the SDK with inline settings pointing at Signal, then identify, track and page. */
async function runCalls(p: Page, args: { writeKey: string; apiHost: string; user: string; batching: boolean }): Promise<Sent> {
  return p.evaluate(async (a) => {
    const w = globalThis as unknown as AnalyticsNextGlobal;
    const segmentio: Record<string, unknown> = { apiKey: a.writeKey, apiHost: a.apiHost, protocol: 'http' };
    if (a.batching) segmentio['deliveryStrategy'] = { strategy: 'batching', config: { size: 3, timeout: 1000 } };
    const [analytics] = await w.AnalyticsNext.AnalyticsBrowser.load({
      writeKey: a.writeKey,
      cdnURL: w.location.origin,
      cdnSettings: { integrations: { 'Segment.io': segmentio } },
    });
    // Each call's context carries the messageId the SDK made.
    const identify = await analytics.identify(a.user, { email: `${a.user}@example.com`, name: 'Ada Lovelace', plan: 'pro' });
    const track = await analytics.track('Order Completed', { order_id: `${a.user}-o-1`, revenue: 42.5, currency: 'EUR', products: [{ product_id: 'p-1', price: 42.5, quantity: 1 }] });
    const page = await analytics.page('Pricing', { path: '/pricing' });
    return { identify: identify.event.messageId, track: track.event.messageId, page: page.event.messageId };
  }, args);
}

describe.skipIf(browserSkipReason !== undefined)('@segment/analytics-next in headless Chromium, pointed at the collector', () => {
  beforeAll(async () => {
    [sdk, shop, browser] = await Promise.all([startSdkRunner(WRITE_KEY), startShop(), launchChromium()]);
    shopUrl = `http://127.0.0.1:${(shop.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await sdk?.stop();
    await new Promise((resolve) => shop?.close(resolve));
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    offsite = [];
    sent = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      offsite.push(url.href);
      return route.abort();
    });
    const collector = new URL(sdk.runner.url);
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.host !== collector.host) return;
      const h = r.headers();
      sent.push({ method: r.method(), path: url.pathname, ...(h['authorization'] === undefined ? {} : { authorization: h['authorization'] }), ...(h['content-type'] === undefined ? {} : { contentType: h['content-type'] }) });
    });
    await page.goto(shopUrl);
  });
  afterEach(async () => {
    await context.close();
    expect(offsite, 'requests that left 127.0.0.1 (CDN, metrics)').toEqual([]);
  });

  const apiHost = () => `${new URL(sdk.runner.url).host}/v1`;
  const basic = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;

  it('one request per call (the default): identify, track and page reach the vendors with the right fields', async () => {
    const user = 'next-user-1';
    const ids = await runCalls(page, { writeKey: WRITE_KEY, apiHost: apiHost(), user, batching: false });
    for (const id of Object.values(ids)) await sdk.settled(id);
    // The short paths, as text/plain, with the write key as HTTP Basic (what segment-sdks.md says).
    expect(sent.filter((s) => s.method === 'POST').map((s) => s.path)).toEqual(['/v1/i', '/v1/t', '/v1/p']);
    for (const s of sent.filter((r) => r.method === 'POST')) expect(s).toMatchObject({ authorization: basic, contentType: 'text/plain' });
    expect(sdk.webhookBody(ids.track)['context']).toMatchObject({ library: { name: 'analytics.js' }, page: { path: '/' } });
    expectVendorFields(sdk, ids, user, `${user}@example.com`);
  });

  it("deliveryStrategy 'batching': the calls go out together to /v1/b and arrive the same way", async () => {
    const user = 'next-batch-user';
    const ids = await runCalls(page, { writeKey: WRITE_KEY, apiHost: apiHost(), user, batching: true });
    for (const id of Object.values(ids)) await sdk.settled(id);
    const posts = sent.filter((s) => s.method === 'POST');
    expect(posts.map((s) => s.path)).toEqual(['/v1/b']);
    expect(posts[0]).toMatchObject({ authorization: basic, contentType: 'text/plain' });
    expectVendorFields(sdk, ids, user, `${user}@example.com`);
  });
});

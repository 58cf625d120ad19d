import { it } from 'vitest';
import { launchChromium } from './chromium.js';
import { startDebuggerRunner } from './runner-harness.js';
it('shot', async () => {
  const r = await startDebuggerRunner('shot-token-123');
  const b = await launchChromium();
  r.vendors.webhook.respond(() => ({ status: 503, body: {} }));
  await r.send('/v1/batch', { batch: [
    { type: 'track', event: 'Order Completed', userId: 'user-42', messageId: '6f1c2b7e-93a4-4c55-9d0e-1b2a3c4d5e6f', properties: { revenue: 3 }, context: { consent: { categories: ['marketing'] } } },
    { type: 'page', name: 'Pricing', anonymousId: 'anon-77a1b2', messageId: '7a1c2b7e-93a4-4c55-9d0e-1b2a3c4d5e6f' },
    { type: 'identify', userId: 'user-42', traits: { email: 'a@b.c' }, messageId: '8b1c2b7e-93a4-4c55-9d0e-1b2a3c4d5e6f' },
  ] });
  await r.send('/v1/track', { event: 'X' }, 'wrong-key-here');
  await new Promise((res) => setTimeout(res, 1500));
  const p = await (await b.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await p.goto(`${r.url}/debugger?token=shot-token-123`);
  await new Promise((res) => setTimeout(res, 1000));
  await p.locator('[data-testid=event-row]').first().click();
  await new Promise((res) => setTimeout(res, 800));
  await p.screenshot({ path: '/tmp/dbgscratch/events.png', fullPage: false });
  await p.click('#tab-integrations');
  await new Promise((res) => setTimeout(res, 1000));
  await p.screenshot({ path: '/tmp/dbgscratch/integrations.png', fullPage: true });
  await b.close(); await r.stop();
}, 60000);

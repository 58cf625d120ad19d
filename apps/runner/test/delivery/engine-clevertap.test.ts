import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import clevertap from '@signal/clevertap';
import { createHttpClient, createIntegration, silentLogger } from '@signal/core';
import { startFakeVendor, type FakeVendor } from '@signal/core/testkit';
import { createDeliveryEngine, type DeliveryEngine } from '../../src/delivery/index.js';
import { openSqliteSpool, type SqliteSpool } from '../../src/spool/sqlite.js';
import { makeEvent } from '../spool/contract.js';
import { eventually } from './harness.js';

/** The real CleverTap plugin through the engine: one refused record in a batch, the rest delivered. */
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

it('CleverTap: a partial upload rejects only the refused record (per-record results from a real plugin)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'signal-ct-'));
  const spool: SqliteSpool = openSqliteSpool({ path: join(dir, 'spool.db') });
  const vendor: FakeVendor = await startFakeVendor((req) => {
    const d = req.json<{ d: unknown[] }>().d;
    return { status: 200, body: { status: 'partial', processed: d.length - 1, unprocessed: [{ status: 'fail', code: 512, error: 'Invalid structure', index: 1, record: d[1] }] } };
  });
  const http = createHttpClient({ hostOverrides: { '*': vendor.url } });
  const passcode = 'ct-passcode-secret-77';
  const integration = createIntegration(clevertap, { id: 'clevertap', settings: { account_id: 'ACC-1', passcode, region: 'eu1' } });
  const engine: DeliveryEngine = createDeliveryEngine({ spool, integrations: [integration], http, logger: silentLogger, lingerMs: 0, pollIntervalMs: 20 });
  cleanup = async () => {
    await engine.stop();
    await spool.close();
    await http.close();
    await vendor.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const events = [makeEvent('u1', { event: 'Product Viewed' }), makeEvent('u2', { event: 'Product Viewed' }), makeEvent('u3', { event: 'Product Viewed' })];
  await spool.append(events.map((event) => ({ event, integrations: ['clevertap'], source: 'web' })));
  engine.start();
  await eventually(async () => expect((await spool.stats())[0]!.depth).toBe(0));
  expect(vendor.requests).toHaveLength(1);
  expect(vendor.requests[0]!.json<{ d: unknown[] }>().d).toHaveLength(3);
  const states = await Promise.all(events.map(async (e) => (await spool.event(e.message_id))!.deliveries[0]!));
  expect(states.map((s) => s.state)).toEqual(['delivered', 'rejected', 'delivered']);
  expect(states[1]!.lastResult).toMatchObject({ status: 'rejected', code: 'clevertap_512' });
  const exchange = states[0]!.history[0]!.exchange!;
  expect(vendor.requests[0]!.headers['x-clevertap-passcode']).toBe(passcode);
  expect(JSON.stringify(exchange)).not.toContain(passcode);
});

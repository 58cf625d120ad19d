import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEvent, silentLogger } from '@signal/core';
import { seededRandom, startFakeVendor, type FakeVendor } from '@signal/core/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { startRunner, type Runner } from '../../src/runner.js';
import { openSqliteSpool } from '../../src/spool/sqlite.js';
import { eventually } from './helpers/vendors.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

/**
 * A slow vendor must never cause duplicates: a live runner renews the lease of every job it
 * holds (waiting for a request slot or in a request), so no claim hands it out twice. The
 * runner's lease is 2 × http.timeout_ms; with every batch carrying all users, batches wait for
 * each other's users, so a lease counted only from the claim used to expire while held.
 */
let runner: Runner | undefined;
let vendor: FakeVendor | undefined;
let dir: string | undefined;
afterEach(async () => {
  await runner?.stop();
  await vendor?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  runner = vendor = dir = undefined;
});

const KEY = 'slow-vendor-write-key';

async function deliverThroughSlowVendor(o: { latencyMs: number; timeoutMs: number; events: number; users: number }): Promise<Map<number, number>> {
  vendor = await startFakeVendor(async (req) => {
    await new Promise((r) => setTimeout(r, o.latencyMs));
    const d = req.json<{ d: unknown[] }>().d;
    return { status: 200, body: { status: 'success', processed: d.length, unprocessed: [] } };
  });
  dir = mkdtempSync(join(tmpdir(), 'signal-slow-'));
  linkWorkspacePlugins(dir);
  const config = `server: { port: 0, host: 127.0.0.1, admin_token: slow-vendor-admin-token }
storage: { driver: sqlite, path: ${JSON.stringify(join(dir, 'signal.db'))} }
http: { timeout_ms: ${o.timeoutMs}, host_overrides: { "*": ${JSON.stringify(vendor.url)} } }
sources: [ { id: web, write_key: ${KEY} } ]
integrations:
  - { id: clevertap, plugin: "@signal/clevertap", settings: { account_id: TEST-000-0000, passcode: slow-passcode-1, region: us1 } }
pipelines: [ { id: main, sources: [web], integrations: [clevertap] } ]
`;
  // The backlog is queued before the runner starts (as after an outage or a restart), so the first claim takes it whole.
  const queued = openSqliteSpool({ path: join(dir, 'signal.db') });
  // Users picked at random (seeded): uneven counts, so request-sized chunks split users and must wait for each other.
  const random = seededRandom(42);
  const events = Array.from({ length: o.events }, (_, n) => {
    const parsed = parseEvent({ type: 'track', event: 'Product Viewed', userId: `user-${Math.floor(random() * o.users)}`, messageId: `slow-${n}`, properties: { n } });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return { event: parsed.event, integrations: ['clevertap'], source: 'web' };
  });
  await queued.append(events);
  await queued.close();
  runner = await startRunner(await loadConfigText(config, { file: 'slow.yaml', dir, env: {} }), { logger: silentLogger });
  const spool = runner.spool;
  await eventually(async () => {
    const [stats] = await spool.stats();
    return stats?.depth === 0 && stats.byState.delivered === o.events ? true : undefined;
  }, `all ${o.events} events delivered`, 120_000);
  // Stopping waits for requests in flight: a duplicate still on its way is counted too.
  await runner.stop();
  runner = undefined;
  const received = new Map<number, number>();
  for (const req of vendor.requests) {
    for (const record of req.json<{ d: { evtData: { n: number } }[] }>().d) received.set(record.evtData.n, (received.get(record.evtData.n) ?? 0) + 1);
  }
  return received;
}

describe('a slow vendor causes no duplicates (leases renewed while held)', () => {
  it('latency 2 s, timeout 3 s, 3,000 events over 300 users: each received exactly once', async () => {
    const received = await deliverThroughSlowVendor({ latencyMs: 2_000, timeoutMs: 3_000, events: 3_000, users: 300 });
    expect(received.size).toBe(3_000);
    expect([...received.values()].filter((n) => n !== 1)).toEqual([]);
  }, 150_000);

  it('latency 6 s, timeout 10 s, 4,000 events over 400 users: each received exactly once', async () => {
    const received = await deliverThroughSlowVendor({ latencyMs: 6_000, timeoutMs: 10_000, events: 4_000, users: 400 });
    expect(received.size).toBe(4_000);
    expect([...received.values()].filter((n) => n !== 1)).toEqual([]);
  }, 150_000);
});

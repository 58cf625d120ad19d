/**
 * Spool scale bench (not part of `vitest run`): 1M events queued, then claim,
 * complete, stats and the delivery log timed at that depth. Target: RSS ≤ 300 MB.
 *   ../../node_modules/.bin/esbuild test/spool/bench/million.ts --bundle --platform=node --format=esm --packages=external --outfile=test/spool/bench/.out.mjs && node test/spool/bench/.out.mjs [events]
 * (from apps/runner so packages resolve).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SignalEvent } from '@signal/core';
import { openSqliteSpool } from '../../../src/spool/sqlite.js';

const total = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'signal-million-'));
const path = join(dir, 'spool.db');
const spool = openSqliteSpool({ path });
const mb = () => Math.round(process.memoryUsage().rss / 1e6);
let peakRss = 0;
const sample = setInterval(() => (peakRss = Math.max(peakRss, mb())), 100);

const t0 = performance.now();
const inFlight: Promise<unknown>[] = [];
for (let i = 0; i < total; i += 500) {
  const items = [];
  for (let j = i; j < Math.min(total, i + 500); j++) {
    const event = {
      type: 'track',
      event: 'Product Viewed',
      properties: { product_id: `p-${j % 977}`, price: 19.99, name: 'Blue shoes' },
      traits: {},
      user_id: `user-${(j * 7919) % 100_000}`,
      message_id: `m-${j}`,
      timestamp: '2026-01-01T00:00:00.000Z',
      context: {},
    } as SignalEvent;
    items.push({ event, integrations: ['clevertap'], source: 'web' });
  }
  inFlight.push(spool.append(items));
  // Eight collector requests at a time, as a busy collector would have.
  if (inFlight.length >= 8) await Promise.all(inFlight.splice(0));
}
await Promise.all(inFlight);
const appendS = (performance.now() - t0) / 1000;

const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const s = performance.now();
  const r = await fn();
  return [r, Math.round((performance.now() - s) * 10) / 10];
};
const now = Date.now() + 1_000;
const [jobs, claimMs] = await time(() => spool.claim('clevertap', { limit: 1000, now, leaseMs: 60_000 }));
const [, completeMs] = await time(() =>
  spool.complete(jobs.map((job) => ({ job, state: 'delivered' as const, attempt: { at: now, result: { status: 'delivered' as const }, payload: { evtName: 'Product Viewed' } } }))),
);
const [big, claim10kMs] = await time(() => spool.claim('clevertap', { limit: 10_000, now, leaseMs: 60_000 }));
const [stats, statsMs] = await time(() => spool.stats());
const [, deliveriesMs] = await time(() => spool.deliveries({ integration: 'clevertap', state: 'delivered', limit: 50 }));
const [, nextDueMs] = await time(() => spool.nextDueAt('clevertap'));
clearInterval(sample);
console.log(
  JSON.stringify({
    events: total,
    appendPerSec: Math.round(total / appendS),
    appendTransactions: spool.appendTransactions,
    claim1kMs: claimMs,
    complete1kMs: completeMs,
    claim10kMs: claim10kMs,
    claimed10k: big.length,
    statsMs,
    deliveriesMs,
    nextDueMs,
    rssMB: mb(),
    peakRssMB: peakRss,
    fileMB: Math.round((statSync(path).size + statSync(`${path}-wal`).size) / 1e6),
    stats,
  }),
);
await spool.close();
rmSync(dir, { recursive: true, force: true });

/**
 * Delivery throughput bench (not part of `vitest run`): N events queued in a
 * SQLite spool, delivered to a fake CleverTap in 1000-record batches.
 * Target: ≥ 30k events/s on 2 cores. Run:
 *   node_modules/.bin/esbuild apps/runner/test/delivery/bench/throughput.ts --bundle --platform=node --format=esm --packages=external --outfile=/tmp/throughput.mjs && node /tmp/throughput.mjs [events]
 * (from apps/runner so packages resolve).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import clevertap from '@signal/clevertap';
import { createHttpClient, createIntegration, silentLogger, type SignalEvent } from '@signal/core';
import { createDeliveryEngine } from '../../../src/delivery/index.js';
import { openSqliteSpool } from '../../../src/spool/sqlite.js';

const total = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'signal-bench-'));
const spool = openSqliteSpool({ path: join(dir, 'spool.db') });

// The fake CleverTap runs in its own process, as a real vendor would not share our CPU.
const vendorScript = `
const http = require('node:http');
let received = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const n = (Buffer.concat(chunks).toString('utf8').match(/"evtName"/g) || []).length;
    received += n;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', processed: n, unprocessed: [] }));
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
process.on('message', () => process.send(received));
`;
const vendor = spawn(process.execPath, ['-e', vendorScript], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const port = await new Promise<string>((resolve) => vendor.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
const url = `http://127.0.0.1:${port}`;

const appendStart = performance.now();
for (let i = 0; i < total; i += 500) {
  const items = [];
  for (let j = i; j < Math.min(total, i + 500); j++) {
    const event: SignalEvent = {
      type: 'track',
      event: 'Product Viewed',
      properties: { product_id: `p-${j % 977}`, price: 19.99, name: 'Blue shoes' },
      traits: {},
      user_id: `user-${j % 20_000}`,
      message_id: `bench-${j}`,
      timestamp: '2026-01-01T00:00:00.000Z',
      context: { traits: { email: `user-${j % 20_000}@example.com` } },
    } as SignalEvent;
    items.push({ event, integrations: ['clevertap'], source: 'web' });
  }
  await spool.append(items);
}
const appendMs = performance.now() - appendStart;

const integration = createIntegration(clevertap, { id: 'clevertap', settings: { account_id: 'ACC-1', passcode: 'bench-passcode', endpoint: `${url}/1/upload` } });
const http = createHttpClient();
const engine = createDeliveryEngine({ spool, integrations: [integration], http, logger: silentLogger, lingerMs: 0, pollIntervalMs: 50 });
let delivered = 0;
engine.on('attempt', (e) => {
  if (e.state === 'delivered') delivered++;
});
const start = performance.now();
engine.start();
while (delivered < total) await new Promise((r) => setTimeout(r, 20));
const ms = performance.now() - start;
await engine.stop();
const stats = await spool.stats();
vendor.send('count');
const received = await new Promise<number>((resolve) => vendor.once('message', (n) => resolve(n as number)));
console.log(
  JSON.stringify({
    events: total,
    appendPerSec: Math.round(total / (appendMs / 1000)),
    deliveredPerSec: Math.round(total / (ms / 1000)),
    vendorReceived: received,
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
    stats,
  }),
);
await spool.close();
await http.close();
vendor.kill();
rmSync(dir, { recursive: true, force: true });

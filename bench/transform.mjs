// Transform cost per plugin: integration.prepare() (consent, mapping, plugin transform, size)
// over N canonical events, in this process, no I/O. Prints one JSON line.
// Usage: node bench/transform.mjs [events=100000] [runs=5]
import { randomUUID } from 'node:crypto';
import { createIntegration, parseEvent } from '../packages/core/dist/index.js';
import leanplum from '../packages/leanplum/dist/index.js';
import clevertap from '../packages/clevertap/dist/index.js';
import launchdarkly from '../packages/launchdarkly/dist/index.js';
import webhook from '../packages/webhook/dist/index.js';

const n = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 5);

const plugins = {
  leanplum: createIntegration(leanplum, { id: 'leanplum', preset: 'retail', settings: { app_id: 'app_bench', client_key: 'prod_bench_key' } }),
  clevertap: createIntegration(clevertap, { id: 'clevertap', settings: { account_id: 'BENCH-000-0000', passcode: 'bench-pass', region: 'us1' } }),
  launchdarkly: createIntegration(launchdarkly, { id: 'launchdarkly', settings: { access_token: 'api-bench-token', project_key: 'default', environment_key: 'production' } }),
  webhook: createIntegration(webhook, { id: 'webhook', settings: { url: 'https://hooks.example.com/signal' } }),
};

// A retail mix: 60% Product Viewed, 20% Order Completed (with products), 20% identify.
const receivedAt = new Date('2026-01-01T00:00:01.000Z');
const events = [];
for (let i = 0; i < n; i++) {
  const userId = `user-${i % 20_000}`;
  const base = { userId, messageId: randomUUID(), timestamp: '2026-01-01T00:00:00.000Z', context: { ip: '127.0.0.1', locale: 'en-US', traits: { email: `${userId}@example.com` } } };
  let raw;
  if (i % 5 === 3) {
    raw = { ...base, type: 'track', event: 'Order Completed', properties: { order_id: `o-${i}`, revenue: 64.5, currency: 'EUR', products: [{ product_id: 'p-1', name: 'Trail Shoe', price: 64.5, quantity: 1 }] } };
  } else if (i % 5 === 4) {
    raw = { ...base, type: 'identify', traits: { email: `${userId}@example.com`, name: `User ${i % 20_000}`, plan: 'pro' } };
  } else {
    raw = { ...base, type: 'track', event: 'Product Viewed', properties: { product_id: `p-${i % 977}`, price: 19.99, name: 'Blue shoes', seq: i } };
  }
  const parsed = parseEvent(raw, { receivedAt });
  if (!parsed.ok) throw new Error(`bad fixture: ${JSON.stringify(parsed.issues)}`);
  events.push(parsed.event);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = {};
for (const [name, integration] of Object.entries(plugins)) {
  const outcomes = { send: 0, done: 0 };
  for (const e of events.slice(0, 1000)) outcomes[integration.prepare(e).outcome]++; // warm-up + outcome mix
  const times = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < events.length; i++) integration.prepare(events[i], i);
    times.push(Number(process.hrtime.bigint() - t0) / 1e3 / events.length);
  }
  out[name] = { usPerEvent: +median(times).toFixed(2), runs: times.map((t) => +t.toFixed(2)), sendShare: +(outcomes.send / 1000).toFixed(2) };
}
console.log(JSON.stringify({ events: n, plugins: out }));

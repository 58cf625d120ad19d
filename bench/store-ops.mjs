// The SQLite store's own cost per delivered job, in one process on one thread: no HTTP, no writer
// thread, no vendor, so no cross-process scheduling in the figure (on this 2-core VM a thread or
// process wakeup costs ~50 µs and moves end-to-end runs by ±25%). Appends `--jobs` jobs (one
// integration, 20,000 users, commits of 1,000 events), then claims 1,000 at a time and records each
// batch as delivered, with a mapped payload per record and one shared exchange, as a CleverTap
// batch is recorded. Prints µs per job for the claim and the result, and jobs/s for the loop.
//   node bench/build-head.mjs <rev>; cp -r bench/.build /tmp/a   (once per build to compare)
//   node bench/store-ops.mjs --store /tmp/a/store.mjs,bench/.build/store.mjs [--jobs 200000] [--runs 5]
//   (a build from before schema v7, ef2bc21 and older, as /tmp/a/store.mjs:text)
// Builds are alternated run by run; medians are printed per build.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';

const { values } = parseArgs({
  options: { store: { type: 'string', default: 'bench/.build/store.mjs' }, jobs: { type: 'string', default: '200000' }, runs: { type: 'string', default: '5' }, child: { type: 'boolean' } },
});
const jobs = Number(values.jobs);

if (values.child) {
  // "<store.mjs>:text": a build from before schema v7, whose complete requests carry the log as text fields.
  const textLog = values.store.endsWith(':text');
  const { openStore } = await import(pathToFileURL(resolve(values.store.replace(/:text$/, ''))).href);
  const pack = (items) => deflateRawSync(`[${items.join(',')}]`, { level: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'signal-store-ops-'));
  const store = openStore({ path: join(dir, 'spool.db'), dedupe: { windowMs: 86_400_000, maxIds: 2_000_000 } });
  let id = 1;
  const run = (requests) => {
    const replies = [];
    store.process(requests, (r) => replies.push(...r));
    const failed = replies.find((r) => !r.ok);
    if (failed) throw new Error(failed.error);
    return replies;
  };
  for (let done = 0; done < jobs; done += 1000) {
    const events = [];
    for (let i = 0; i < 1000; i++) {
      const messageId = randomUUID();
      const user = `user-${(done + i) % 20_000}`;
      const body = JSON.stringify({ type: 'track', event: 'Product Viewed', message_id: messageId, userId: user, timestamp: new Date().toISOString(), properties: { product_id: 'p-123', price: 19.99, currency: 'USD', category: 'shoes' }, context: { ip: '203.0.113.7', library: { name: 'bench', version: '1' } } });
      events.push(messageId, 'web', `u:${user}`, 'track', 'Product Viewed', body, '', 0, 'ct');
    }
    run([{ op: 'append', id: id++, at: Date.now(), events }]);
  }
  const exchange = JSON.stringify({ request: { method: 'POST', url: 'http://127.0.0.1/1/upload', headers: {}, body: 'x'.repeat(20_000) }, response: { status: 200, headers: {}, body: '{"status":"success","processed":1000}' }, durationMs: 3 });
  const payload = '{"type":"event","identity":"u1","evtName":"Product Viewed","evtData":{"product_id":"p-123","price":19.99}}';
  let claimMs = 0;
  let completeMs = 0;
  let delivered = 0;
  const start = performance.now();
  for (;;) {
    const now = Date.now();
    let t = performance.now();
    // durableJobId: every job is on disk as far as this claim knows (revisions whose claims take one).
    const rows = run([{ op: 'claim', id: id++, integration: 'ct', limit: 1000, now, leaseMs: 60_000, durableJobId: Number.MAX_SAFE_INTEGER }])[0].value;
    claimMs += performance.now() - t;
    if (rows.length === 0) break;
    const updates = [];
    const records = [];
    for (let i = 0; i < rows.length; i += 8) {
      if (textLog) updates.push(rows[i], 'delivered', now, null, '{"status":"delivered"}', 0, payload, null);
      else {
        updates.push(rows[i], 'delivered', now, null, '{"status":"delivered"}', null);
        records.push(`{"at":${now},"result":{"status":"delivered"},"x":0,"payload":${payload}}`);
      }
    }
    delivered += rows.length / 8;
    // Since schema v7 the front (spool.ts, main thread) packs the records and exchanges: not timed here.
    const log = textLog ? { exchanges: [exchange] } : { records: pack(records), exchanges: pack([exchange]) };
    t = performance.now();
    run([{ op: 'complete', id: id++, at: now, ...log, updates }]);
    completeMs += performance.now() - t;
  }
  const totalMs = performance.now() - start;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  if (delivered !== jobs) throw new Error(`delivered ${delivered} of ${jobs} jobs`);
  console.log(JSON.stringify({ perSec: (delivered / totalMs) * 1000, claimUs: (claimMs / delivered) * 1000, completeUs: (completeMs / delivered) * 1000 }));
} else {
  const stores = values.store.split(',');
  const samples = new Map(stores.map((s) => [s, []]));
  for (let r = 0; r < Number(values.runs); r++) {
    for (const store of stores) {
      const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--child', '--store', store, '--jobs', String(jobs)], { encoding: 'utf8' });
      const sample = JSON.parse(out.trim().split('\n').pop());
      samples.get(store).push(sample);
      console.log(`run ${r + 1} ${store}: ${Math.round(sample.perSec)} jobs/s, claim ${sample.claimUs.toFixed(1)} µs/job, result ${sample.completeUs.toFixed(1)} µs/job`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\n| store build | jobs/s (median of ${values.runs}) | claim µs/job | result µs/job |\n| --- | --- | --- | --- |`);
  for (const [store, s] of samples) {
    console.log(`| ${store} | ${Math.round(median(s.map((x) => x.perSec)))} | ${median(s.map((x) => x.claimUs)).toFixed(1)} | ${median(s.map((x) => x.completeUs)).toFixed(1)} |`);
  }
}

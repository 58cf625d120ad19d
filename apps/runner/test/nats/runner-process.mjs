/**
 * A minimal runner process for the process-level scale-out test: claims the
 * `hook` integration's jobs, POSTs each message id to the fake vendor, then
 * completes them. Plain node over the built package (`npm test` builds first).
 * argv: <nats url> <stream prefix> <vendor url> <runner name>
 */
import { openNatsSpool } from '../../dist/spool/index.js';

async function main() {
  const [servers, prefix, vendor, name] = process.argv.slice(2);
  const spool = await openNatsSpool({ servers: [servers], stream_prefix: prefix, name });
  process.send?.('ready');
  for (;;) {
    const jobs = await spool.claim('hook', { limit: 10, now: Date.now(), leaseMs: 1_500 });
    if (jobs.length === 0) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    for (const job of jobs) {
      await fetch(vendor, { method: 'POST', headers: { 'x-runner': name }, body: job.messageId });
    }
    await spool.complete(jobs.map((job) => ({ job, state: 'delivered', attempt: { at: Date.now(), result: { status: 'delivered' } } })));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

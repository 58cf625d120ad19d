/**
 * A minimal runner process for the process-level scale-out test: claims the
 * `hook` integration's jobs, POSTs each message id to the fake vendor, then
 * completes them. Bundled with esbuild by the test and run with plain node.
 * argv: <nats url> <stream prefix> <vendor url> <runner name>
 */
import { openNatsSpool } from '../../src/spool/nats.js';

async function main(): Promise<void> {
  const [servers, prefix, vendor, name] = process.argv.slice(2) as [string, string, string, string];
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
    await spool.complete(jobs.map((job) => ({ job, state: 'delivered' as const, attempt: { at: Date.now(), result: { status: 'delivered' as const } } })));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

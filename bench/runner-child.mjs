// The runner under test, in its own process (the load generator runs in the parent, so the
// two use the two cores honestly). Started by bench/run.mjs with IPC; argv[2] is a JSON
// options object: { dir, spool: 'sqlite'|'nats', natsPrefix, vendorUrl, delivery: boolean,
// integration: 'clevertap' (default) | 'webhook' }.
//
// delivery=false: the config routes the source to the integration (so every accepted event
// gets a delivery job), but the engine gets no lane for it, so jobs stay queued. This is how
// the ingest and 1M-queued scenarios keep delivery out of the picture.
// integration=webhook: @signal/webhook unbatched (one event per request), concurrency 8.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const opts = JSON.parse(process.argv[2]);
// The runner module: apps/runner/dist by default, or --runner <file> (e.g. bench/.build/runner.mjs from build-head.mjs).
const { loadConfigFile, startRunner } = await import(pathToFileURL(resolve(opts.runnerModule ?? join(here, '../apps/runner/dist/index.js'))).href);
// The plugin by path, so any runner module loads the same built package.
const clevertapPlugin = join(here, '../packages/clevertap/dist/index.js');
const webhookPlugin = join(here, '../packages/webhook/dist/index.js');
const vendor = JSON.stringify(opts.vendorUrl ?? 'http://127.0.0.1:9');
const integration =
  opts.integration === 'webhook'
    ? { id: 'webhook', hosts: `"hooks.bench.test": ${vendor}`, entry: `  - id: webhook
    plugin: ${JSON.stringify(webhookPlugin)}
    settings: { url: "https://hooks.bench.test/in", max_concurrency: 8 }` }
    : { id: 'clevertap', hosts: `"us1.api.clevertap.com": ${vendor}`, entry: `  - id: clevertap
    plugin: ${JSON.stringify(clevertapPlugin)}
    preset: default
    settings: { account_id: BENCH-000-0000, passcode: bench-passcode, region: us1 }` };
const storage =
  opts.spool === 'nats'
    ? `{ driver: nats, servers: ["nats://127.0.0.1:4222"], stream_prefix: ${opts.natsPrefix} }`
    : `{ driver: sqlite, path: ${JSON.stringify(join(opts.dir, 'spool.db'))} }`;
const file = join(opts.dir, 'signal.config.yaml');
writeFileSync(
  file,
  `server: { port: 0, host: 127.0.0.1 }
storage: ${storage}
http: { host_overrides: { ${integration.hosts} } }
sources: [ { id: web, write_key: bench-write-key } ]
integrations:
${integration.entry}
pipelines: [ { id: main, sources: [web], integrations: [${integration.id}] } ]
`,
);

const noop = () => {};
const logger = { debug: noop, info: noop, warn: (o, m) => console.error('[runner warn]', m, JSON.stringify(o)), error: (o, m) => console.error('[runner error]', m, JSON.stringify(o)) };
logger.child = () => logger;

const loaded = await loadConfigFile(file, { env: {} });
const runner = await startRunner(opts.delivery ? loaded : { ...loaded, integrations: [] }, { logger, port: 0, host: '127.0.0.1' });
let cpuAtMark = process.cpuUsage();
let eluAtMark = performance.eventLoopUtilization();
let txAtMark = runner.spool.appendTransactions ?? 0;
process.send({ ready: true, url: runner.url, pid: process.pid });

process.on('message', async (m) => {
  try {
    if (m.cmd === 'mark') {
      cpuAtMark = process.cpuUsage();
      eluAtMark = performance.eventLoopUtilization();
      txAtMark = runner.spool.appendTransactions ?? 0;
      process.send({ id: m.id, ok: true });
    } else if (m.cmd === 'cpu') {
      // CPU seconds (user+system) used by the runner since the last mark.
      const u = process.cpuUsage(cpuAtMark);
      // appendTransactions: SQLite group commits (one fsync each) since the mark; undefined for NATS.
      const tx = runner.spool.appendTransactions;
      // mainSec: time the main thread's event loop was busy since the mark (the thread that parses and answers HTTP).
      const elu = performance.eventLoopUtilization(eluAtMark);
      process.send({ id: m.id, cpuSec: (u.user + u.system) / 1e6, mainSec: elu.active / 1e3, commits: tx === undefined ? undefined : tx - txAtMark });
    } else if (m.cmd === 'stats') {
      process.send({ id: m.id, stats: await runner.spool.stats() });
    } else if (m.cmd === 'stop') {
      await runner.stop();
      process.send({ id: m.id, ok: true }, () => process.exit(0));
    }
  } catch (error) {
    process.send({ id: m.id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => runner.stop().finally(() => process.exit(0)));

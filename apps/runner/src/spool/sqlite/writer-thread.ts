import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { buildSync } from 'esbuild';
import { SpoolError } from '../errors.js';
import type { StoreOptions } from './protocol.js';

/**
 * The writer's young generation (V8's default lets it grow to ~48 MB). What the writer allocates
 * lives for one batch (the messages it gets, the rows it sends back), so a small nursery cost no
 * throughput beyond the bench's run-to-run noise, and the runner's peak RSS while draining 1M
 * queued jobs went from 356-381 MB to 314-328 MB (bench/RESULTS.md, fourth session).
 */
const writerYoungGenerationMb = 12;

/**
 * Starts the writer thread (worker.ts). Built, it is its own entry next to the runner's chunks
 * (tsup: dist/sqlite-writer.js). Run from the TypeScript sources (vitest), a worker cannot load
 * .ts files, so the worker is bundled once per process with esbuild (a dev dependency) into the
 * package's node_modules/.cache, where its imports (better-sqlite3) resolve as from the sources.
 */
export function startWriterThread(options: StoreOptions): Worker {
  return new Worker(writerEntry(), { workerData: options, resourceLimits: { maxYoungGenerationSizeMb: writerYoungGenerationMb } });
}

let bundled: URL | undefined;

function writerEntry(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return (bundled ??= bundleFromSources(new URL('./worker.ts', here)));
  for (const candidate of ['./sqlite-writer.js', '../sqlite-writer.js', '../../sqlite-writer.js']) {
    const url = new URL(candidate, here);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new SpoolError(`the SQLite writer thread (sqlite-writer.js) is missing from the runner's build next to ${fileURLToPath(here)}. Fix: rebuild or reinstall @signal/runner`);
}

function bundleFromSources(entry: URL): URL {
  const require = createRequire(entry);
  const esbuild = require('esbuild') as { buildSync: typeof buildSync };
  const out = esbuild.buildSync({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'error',
  }).outputFiles[0]!.text;
  const dir = fileURLToPath(new URL('../../../node_modules/.cache/signal-sqlite-writer/', entry));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(out).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    // Written under a temporary name and renamed: test processes bundle in parallel.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, out);
    renameSync(tmp, file);
  }
  return new URL(`file://${file}`);
}

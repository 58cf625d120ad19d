// Optional: bundle the runner from a git revision (default HEAD) into bench/.build/, so the bench can
// measure committed code while the working tree / apps/runner/dist hold someone's work in progress.
// Usage: node bench/build-head.mjs [rev]   then   npm run bench -- --runner bench/.build/runner.mjs
// (and bench/.build/store.mjs, the SQLite store alone, for node bench/store-ops.mjs)
// (packages/* are used as built in packages/*/dist; only the runner comes from the revision).
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const rev = process.argv[2] ?? 'HEAD';
const src = join(here, '.build', 'src');
rmSync(src, { recursive: true, force: true });
mkdirSync(src, { recursive: true });
execSync(`git -C ${root} archive ${rev} apps/runner/src | tar -x -C ${src}`);
const sha = execSync(`git -C ${root} rev-parse --short ${rev}`, { encoding: 'utf8' }).trim();
const esbuild = createRequire(join(root, 'node_modules/.pnpm/node_modules/x.js'))('esbuild');
const runnerModules = join(root, 'apps/runner/node_modules');
const build = (entry, outfile) =>
  esbuild.build({
    entryPoints: [join(src, entry)],
    outfile: join(here, '.build', outfile),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    nodePaths: [runnerModules, join(root, 'node_modules/.pnpm/node_modules')],
    plugins: [
      {
        name: 'shared',
        setup(b) {
          // One @signal/core instance shared with the plugins (packages/*/dist), and the native SQLite module: by absolute path.
          b.onResolve({ filter: /^@signal\/core$/ }, () => ({ path: join(root, 'packages/core/dist/index.js'), external: true }));
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: join(runnerModules, 'better-sqlite3/lib/index.js'), external: true }));
        },
      },
    ],
    banner: { js: `import { createRequire as __cr } from 'node:module'; const require = __cr(${JSON.stringify(join(runnerModules, 'x.js'))}); // runner built from ${rev} (${sha})` },
    logLevel: 'warning',
  });
await build('apps/runner/src/index.ts', 'runner.mjs');
// The SQLite spool's writer thread (revisions since it has one): found next to runner.mjs.
rmSync(join(here, '.build', 'sqlite-writer.js'), { force: true });
if (existsSync(join(src, 'apps/runner/src/spool/sqlite/worker.ts'))) await build('apps/runner/src/spool/sqlite/worker.ts', 'sqlite-writer.js');
// The SQLite store alone, for bench/store-ops.mjs (revisions since the spool has a store module).
rmSync(join(here, '.build', 'store.mjs'), { force: true });
if (existsSync(join(src, 'apps/runner/src/spool/sqlite/store.ts'))) await build('apps/runner/src/spool/sqlite/store.ts', 'store.mjs');
console.log(`bench/.build/runner.mjs built from ${rev} (${sha})`);

import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig(
  // sqlite-writer: the SQLite spool's writer thread (a worker_threads entry of its own).
  packageBuild({ index: 'src/index.ts', cli: 'src/cli.ts', 'spool/index': 'src/spool/index.ts', 'sqlite-writer': 'src/spool/sqlite/worker.ts' }, {
    dts: { entry: { index: 'src/index.ts', 'spool/index': 'src/spool/index.ts' } },
    define: { __SIGNAL_RUNNER_VERSION__: JSON.stringify(version) },
    // The CLI is run directly (bin `signal`); the banner lands on every chunk, harmless on index.js.
    banner: { js: '#!/usr/bin/env node' },
  }),
);

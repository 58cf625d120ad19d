import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

export default defineConfig(packageBuild({ index: 'src/index.ts', 'testkit/index': 'src/testkit/index.ts' }, { external: ['vitest'] }));

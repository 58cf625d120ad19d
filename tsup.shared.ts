import type { Options } from 'tsup';

/** The one build setup for every published package: ESM + .d.ts for Node 20. */
export function packageBuild(entry: Options['entry'], extra: Options = {}): Options {
  return { entry, format: ['esm'], dts: true, clean: true, sourcemap: true, target: 'node20', ...extra };
}

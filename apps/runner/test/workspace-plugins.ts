import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = fileURLToPath(new URL('../../../packages/', import.meta.url));

/**
 * The runner bundles no plugin: a config's plugins come from its project's
 * node_modules. Tests that write a config into a temp directory install the
 * workspace's plugins there the way npm would (links, as pnpm does).
 */
export function linkWorkspacePlugins(projectDir: string, names: readonly string[] = ['leanplum', 'clevertap', 'launchdarkly', 'webhook']): void {
  const scope = join(projectDir, 'node_modules', '@signal');
  mkdirSync(scope, { recursive: true });
  for (const name of names) symlinkSync(join(packagesDir, name), join(scope, name), 'dir');
}

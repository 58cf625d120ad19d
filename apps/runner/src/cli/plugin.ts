import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { classifyPluginSpecifier } from '../config/plugins.js';
import { destinationIdFor, pluginTemplate, titleFor } from '../scaffold/plugin-template.js';
import { fail, UsageError } from './common.js';

/** The @signal/core this runner runs plugins with: a new plugin's peer range starts at its minor. */
function coreVersion(): string {
  const pkg = createRequire(import.meta.url)('@signal/core/package.json') as { version: string };
  return pkg.version;
}

export function initPlugin(packageName: string, options: { dir?: string; id?: string }): { dir: string; files: string[] } {
  const spec = classifyPluginSpecifier(packageName);
  if (spec.kind !== 'package' || spec.name !== packageName) {
    throw new UsageError(`"${packageName}" is not an npm package name. Use lower case letters, digits and -, optionally with a scope: signal-destination-acme or @acme/signal-destination`);
  }
  const id = options.id ?? destinationIdFor(packageName);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new UsageError(`--id "${id}" must be lower case letters, digits and - (e.g. acme)`);
  const dir = resolve(options.dir ?? packageName.split('/').pop()!);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new UsageError(`${dir} already exists and is not empty. Fix: pick another --dir, or remove it`);
  }
  const files = pluginTemplate({ packageName, id, title: titleFor(id), coreVersion: coreVersion() });
  for (const [name, text] of Object.entries(files)) {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { dir, files: Object.keys(files) };
}

export function registerPlugin(program: Command): void {
  const plugin = program.command('plugin').description('Tools for writing destination plugins.');
  plugin
    .command('init <package-name>')
    .description('Create a destination plugin package: a working destination for a JSON events API, its conformance test (the @signal/core kit) and the build (tsup + vitest).')
    .option('-d, --dir <dir>', 'where to create it (default: ./<name without scope>)')
    .option('--id <id>', 'destination id (default: from the package name, e.g. acme)')
    .addHelpText('after', '\nExample:\n  $ signal plugin init signal-destination-acme\n  $ cd signal-destination-acme && npm install && npm run build && npm test')
    .action((name: string, opts: { dir?: string; id?: string }) => {
      try {
        const { dir, files } = initPlugin(name, opts);
        const rel = relative(process.cwd(), dir) || '.';
        process.stdout.write(
          [
            `Created ${name} in ${dir}:`,
            ...files.map((f) => `  ${f}`),
            '',
            'Next:',
            `  cd ${rel}`,
            '  npm install',
            '  npm run build   # dist/index.js',
            '  npm test        # the conformance kit',
            '',
            `Then, next to your Signal config: npm install ${name}, and use plugin: "${name}".`,
            '',
          ].join('\n'),
        );
      } catch (error) {
        fail(error);
      }
    });
}

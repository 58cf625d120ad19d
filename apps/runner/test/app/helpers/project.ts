import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const zodUrl = pathToFileURL(require.resolve('zod')).href;

/**
 * A throwaway user project: a directory with a config file and, optionally, a
 * third-party plugin in node_modules (ESM-only exports, like a real package).
 * The plugin posts each batch as JSON to `settings.url` and reads 2xx as delivered.
 */
export interface Project {
  dir: string;
  write(name: string, text: string): string;
  cleanup(): void;
}

export function makeProject(options: { plugin?: boolean } = {}): Project {
  const dir = mkdtempSync(join(tmpdir(), 'signal-project-'));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  if (options.plugin !== false) {
    write(
      'node_modules/acme-signal-destination/package.json',
      JSON.stringify({ name: 'acme-signal-destination', type: 'module', exports: { '.': { import: './index.js' } } }),
    );
    write(
      'node_modules/acme-signal-destination/index.js',
      `import { z } from ${JSON.stringify(zodUrl)};
export default {
  id: 'acme', name: 'Acme', version: '1.0.0',
  settings: z.object({ url: z.string().url(), api_key: z.string().min(4), region: z.enum(['us', 'eu']).default('us') }),
  secrets: ['api_key'],
  presets: { default: { events: { 'Order Completed': 'purchase', page: 'page_view', identify: 'identify' } } },
  defaultPreset: 'default',
  limits: { maxBatchItems: 10, maxConcurrency: 2 },
  capabilities: { batching: true, identify: true },
  transform: (m) => ({ name: m.name, user: m.event.user_id ?? m.event.anonymous_id, message_id: m.event.message_id, properties: m.properties }),
  buildRequest: (batch, ctx) => ({ method: 'POST', url: ctx.settings.url, headers: { 'content-type': 'application/json', 'x-api-key': ctx.settings.api_key }, body: JSON.stringify({ events: batch.map((o) => o.record) }) }),
  parseResponse: (_res, batch) => batch.map(() => ({ status: 'delivered' })),
};
`,
    );
  }
  return { dir, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

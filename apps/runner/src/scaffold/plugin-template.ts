/**
 * The files of a new destination plugin package (`signal plugin init`): a
 * working destination for a JSON events API, its conformance test, and the
 * build setup Signal's own plugins use (tsup → ESM + .d.ts, vitest).
 */
export interface PluginTemplateOptions {
  /** npm package name, e.g. `signal-destination-acme` or `@acme/signal-destination`. */
  packageName: string;
  /** Destination id, e.g. `acme`. */
  id: string;
  /** Display name, e.g. `Acme`. */
  title: string;
  /** The @signal/core version the runner ships with; the plugin's peer range starts there. */
  coreVersion: string;
}

/** `@acme/signal-destination` → `acme`; `signal-destination-foo-bar` → `foo-bar`. */
export function destinationIdFor(packageName: string): string {
  const [scope, bare] = packageName.startsWith('@') ? (packageName.slice(1).split('/') as [string, string]) : [undefined, packageName];
  const stripped = bare
    .replace(/^signal-destination-?/, '')
    .replace(/-?signal-destination$/, '')
    .replace(/^signal-/, '')
    .replace(/-signal$/, '');
  const id = (stripped === '' ? (scope ?? bare) : stripped).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return id === '' ? 'destination' : id;
}

export function titleFor(id: string): string {
  return id
    .split('-')
    .filter((w) => w !== '')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export function pluginTemplate(o: PluginTemplateOptions): Record<string, string> {
  const [major, minor] = o.coreVersion.split('.');
  const coreFloor = `${major}.${minor}.0`;
  const peerRange = major === '0' ? `>=${coreFloor} <1.0.0` : `^${coreFloor}`;
  const host = `api.${o.id}.example`;
  return {
    'package.json': json({
      name: o.packageName,
      version: '0.1.0',
      description: `Signal destination: ${o.title}`,
      keywords: ['signal', 'signal-destination', o.id],
      license: 'MIT',
      type: 'module',
      engines: { node: '>=20.19' },
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' }, './package.json': './package.json' },
      types: './dist/index.d.ts',
      main: './dist/index.js',
      files: ['dist', 'README.md'],
      scripts: { build: 'tsup', test: 'vitest run', typecheck: 'tsc --noEmit', prepublishOnly: 'npm run build && npm test' },
      peerDependencies: { '@signal/core': peerRange },
      dependencies: { zod: '^4.1.12' },
      devDependencies: { '@signal/core': `^${o.coreVersion}`, '@types/node': '^20.19.0', tsup: '^8.5.0', typescript: '^5.9.3', vitest: '^3.2.4' },
    }),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023'],
        types: ['node'],
        strict: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: true,
        resolveJsonModule: true,
        isolatedModules: true,
        verbatimModuleSyntax: true,
        noEmit: true,
      },
      include: ['src', 'test'],
    }),
    'tsup.config.ts': `import { defineConfig } from 'tsup';

// ESM + type declarations for Node 20, like Signal's own plugins.
export default defineConfig({ entry: ['src/index.ts'], format: ['esm'], dts: true, clean: true, sourcemap: true, target: 'node20' });
`,
    'vitest.config.ts': `import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['test/**/*.test.ts'] } });
`,
    'src/index.ts': `import { defineDestination, delivered, PayloadValidationError } from '@signal/core';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };

/** Settings, checked when the config loads; a mistake names its field. */
export const settingsSchema = z.object({
  api_key: z.string().min(8, 'api_key must be at least 8 characters'),
  endpoint: z.url().default('https://${host}/v1/events'),
});
export type ${pascal(o.id)}Settings = z.output<typeof settingsSchema>;

/** One event as ${o.title} receives it. */
export interface ${pascal(o.id)}Record {
  name: string;
  user_id: string;
  message_id: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

/**
 * ${o.title}: events as JSON, many per request, read back one result per event.
 * Replace the request and response handling with the vendor's real API.
 */
export default defineDestination<${pascal(o.id)}Settings, ${pascal(o.id)}Record>({
  id: '${o.id}',
  name: '${o.title.replace(/'/g, "\\'")}',
  version: pkg.version,
  description: 'Sends Signal events to ${o.title}',
  settings: settingsSchema,
  secrets: ['api_key'],
  presets: {
    default: {
      events: {
        'Order Completed': { to: 'purchase', fields: { revenue: 'properties.revenue' } },
        'Product Viewed': 'product_view',
        page: 'page_view',
        identify: 'identify',
      },
    },
  },
  defaultPreset: 'default',
  limits: { maxBatchItems: 100, maxBatchBytes: 1_000_000, maxConcurrency: 4 },
  capabilities: { batching: true, identify: true },
  // Pure: the event's own time, never the clock; throw PayloadValidationError to reject one event.
  transform(mapped) {
    const user = mapped.event.user_id ?? mapped.event.anonymous_id;
    if (user === undefined) throw new PayloadValidationError('the event has no user_id or anonymous_id', 'missing_user');
    return {
      name: mapped.name,
      user_id: user,
      message_id: mapped.event.message_id,
      timestamp: mapped.event.timestamp,
      properties: { ...mapped.properties, ...mapped.fields },
    };
  },
  buildRequest(batch, { settings }) {
    return {
      method: 'POST',
      url: settings.endpoint,
      headers: { 'content-type': 'application/json', authorization: \`Bearer \${settings.api_key}\` },
      body: JSON.stringify({ events: batch.map((o) => o.record) }),
    };
  },
  // 2xx: one result per record, in order. Non-2xx is classified by @signal/core (429/5xx retry, 401/403 auth, 4xx rejected).
  parseResponse(_response, batch) {
    return batch.map(() => delivered());
  },
});
`,
    'test/conformance.test.ts': `import { runConformance } from '@signal/core/testkit';
import plugin from '../src/index.js';

runConformance({
  plugin,
  settings: { api_key: 'test-key-12345678' },
  events: [
    { type: 'track', event: 'Order Completed', userId: 'u1', properties: { order_id: 'o-1', revenue: 10 } },
    { type: 'track', event: 'Product Viewed', anonymousId: 'a1', properties: { sku: 'p-1' } },
    { type: 'identify', userId: 'u2', traits: { email: 'u2@example.com' } },
  ],
  vendor: {
    // How ${o.title} answers a good request.
    accept: () => ({ status: 200, body: { ok: true } }),
    // The events one request carries, as ${o.title} reads them (the kit checks them against what was reported delivered).
    records: (req) => req.json<{ events: unknown[] }>().events,
  },
});
`,
    'README.md': `# ${o.packageName}

A [Signal](https://github.com/signal-oss/signal) destination for ${o.title}.

\`\`\`sh
npm install
npm run build    # dist/index.js + dist/index.d.ts
npm test         # the @signal/core conformance kit against this plugin
\`\`\`

Use it from a Signal config, in the project where \`@signal/runner\` is installed:

\`\`\`sh
npm install ${o.packageName}
\`\`\`

\`\`\`yaml
integrations:
  - id: ${o.id}
    plugin: "${o.packageName}"
    settings: { api_key: \${${o.id.toUpperCase().replace(/-/g, '_')}_API_KEY} }
\`\`\`

The plugin contract (every member of the definition, results, errors,
capabilities, limits, secrets) is documented in @signal/core's README.
`,
    '.gitignore': 'node_modules/\ndist/\n',
  };
}

function pascal(id: string): string {
  return titleFor(id).replace(/\s+/g, '');
}

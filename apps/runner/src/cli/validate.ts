import type { Command } from 'commander';
import { adminTokenPath, dataDirOf } from '../api/admin-token.js';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile, type LoadedConfig } from '../config/load.js';
import { defaultConfigFile, exitCode, fail } from './common.js';

/** What `validate --json` prints for a valid file. No values from the file: they may be secrets. */
function summary(loaded: LoadedConfig) {
  const { config } = loaded;
  return {
    ok: true as const,
    file: loaded.file,
    server: {
      host: config.server.host,
      port: config.server.port,
      admin_token: config.server.admin_token !== undefined,
      // Without server.admin_token, `signal start` generates one here on first start.
      ...(config.server.admin_token === undefined ? { admin_token_file: adminTokenPath(dataDirOf(loaded)) } : {}),
    },
    storage: { driver: config.storage.driver, ...(loaded.sqlitePath === undefined ? {} : { path: loaded.sqlitePath }) },
    sources: config.sources.map((s) => ({ id: s.id, integrations: loaded.routes.get(s.id) ?? [] })),
    integrations: loaded.integrations.map((i) => ({
      id: i.integration.id,
      plugin: i.entry.plugin,
      from: i.pluginFrom,
      name: i.destination.name,
      version: i.destination.version,
      preset: i.entry.preset ?? i.destination.defaultPreset,
      consent: i.entry.consent,
    })),
    pipelines: config.pipelines.map((p) => ({ id: p.id, sources: p.sources, integrations: p.integrations })),
  };
}

function text(s: ReturnType<typeof summary>): string {
  const out: string[] = [`${s.file}: OK`, ''];
  out.push(`storage   ${s.storage.driver}${s.storage.path === undefined ? '' : ` (${s.storage.path})`}`);
  const admin = s.server.admin_token_file === undefined ? 'admin token from server.admin_token' : `admin token in ${s.server.admin_token_file} (generated on first start)`;
  out.push(`server    ${s.server.host}:${s.server.port}, ${admin}`);
  out.push('', `sources (${s.sources.length})`);
  for (const src of s.sources) out.push(`  ${src.id.padEnd(16)} → ${src.integrations.join(', ') || '(no pipeline: events are stored, not delivered)'}`);
  out.push('', `integrations (${s.integrations.length})`);
  for (const i of s.integrations) {
    const consent = i.consent.length === 0 ? '' : `, consent: ${i.consent.join('+')}`;
    out.push(`  ${i.id.padEnd(16)} ${i.name} ${i.version} (${i.plugin}), preset ${i.preset}${consent}`);
    out.push(`  ${''.padEnd(16)} loaded from ${i.from}`);
  }
  out.push('', `pipelines (${s.pipelines.length})`);
  for (const p of s.pipelines) out.push(`  ${p.id.padEnd(16)} ${p.sources.join(', ')} → ${p.integrations.join(', ')}`);
  return out.join('\n');
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check a config file: schema, ${ENV_VAR}s, references between sections, plugins and their settings. Prints a summary (with where each plugin was loaded from), or every problem in the file with its path and line (exit 1).')
    .option('-c, --config <file>', 'config file', defaultConfigFile)
    .option('--json', 'print one JSON document: {"ok":true,...} or {"ok":false,"issues":[{path,line,message}]}')
    .addHelpText('after', '\nExamples:\n  $ signal validate -c signal.config.yaml\n  $ signal validate --json | jq .issues\n\nExit code 0 if the file is valid, 1 if it has problems, 2 for a wrong command line.')
    .action(async (opts: { config: string; json?: boolean }) => {
      let loaded: LoadedConfig;
      try {
        loaded = await loadConfigFile(opts.config);
      } catch (error) {
        if (opts.json === true && error instanceof ConfigError) {
          process.stdout.write(`${JSON.stringify({ ok: false, file: error.file, issues: error.issues }, null, 2)}\n`);
          process.exit(exitCode.failed);
        }
        fail(error);
      }
      const s = summary(loaded);
      process.stdout.write(`${opts.json === true ? JSON.stringify(s, null, 2) : text(s)}\n`);
    });
}

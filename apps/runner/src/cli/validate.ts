import type { Command } from 'commander';
import { adminTokenPath, dataDirOf } from '../api/admin-token.js';
import { defaultConfigFile, loadOrFail } from './common.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check a config file: schema, ${ENV_VAR}s, plugins and their settings. Prints a summary, or every problem with its path and line (exit 1).')
    .option('-c, --config <file>', 'config file', defaultConfigFile)
    .action(async (opts: { config: string }) => {
      const loaded = await loadOrFail(opts.config);
      const { config } = loaded;
      const out: string[] = [`${loaded.file}: OK`, ''];
      out.push(`storage   ${config.storage.driver}${loaded.sqlitePath === undefined ? '' : ` (${loaded.sqlitePath})`}`);
      const admin = config.server.admin_token === undefined ? `admin token in ${adminTokenPath(dataDirOf(loaded))} (generated on first start)` : 'admin token from server.admin_token';
      out.push(`server    ${config.server.host}:${config.server.port}, ${admin}`);
      out.push('', `sources (${config.sources.length})`);
      for (const s of config.sources) out.push(`  ${s.id.padEnd(16)} → ${(loaded.routes.get(s.id) ?? []).join(', ') || '(no pipeline: events are stored, not delivered)'}`);
      out.push('', `integrations (${loaded.integrations.length})`);
      for (const i of loaded.integrations) {
        const preset = i.entry.preset ?? i.destination.defaultPreset;
        const consent = i.entry.consent.length === 0 ? '' : `, consent: ${i.entry.consent.join('+')}`;
        out.push(`  ${i.integration.id.padEnd(16)} ${i.destination.name} ${i.destination.version} (${i.entry.plugin}), preset ${preset}${consent}`);
      }
      out.push('', `pipelines (${config.pipelines.length})`);
      for (const p of config.pipelines) out.push(`  ${p.id.padEnd(16)} ${p.sources.join(', ')} → ${p.integrations.join(', ')}`);
      process.stdout.write(`${out.join('\n')}\n`);
    });
}

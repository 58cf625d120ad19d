import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createIntegration, type AnyDestination, type Integration } from '@signal/core';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { loadPlugin } from './plugins.js';
import { configSchema, type IntegrationEntry, type SignalConfig } from './schema.js';
import { formatPath, parseYaml, substituteEnv } from './yaml-source.js';

export interface LoadedIntegration {
  entry: IntegrationEntry;
  destination: AnyDestination;
  /** Where the plugin was loaded from. */
  pluginFrom: string;
  integration: Integration;
}

export interface LoadedConfig {
  /** The config file (or a label for embedded configs). */
  file: string;
  /** Relative paths in the config resolve from here. */
  dir: string;
  config: SignalConfig;
  integrations: LoadedIntegration[];
  /** Integration ids per source id, from the pipelines. */
  routes: Map<string, string[]>;
  /** Absolute path of the SQLite file (sqlite driver only). */
  sqlitePath?: string;
}

export interface LoadOptions {
  env?: Record<string, string | undefined>;
}

export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const fix = code === 'ENOENT' ? 'create it (see README "Config reference"), or pass another file with -c <file>' : `check the file's permissions (${code ?? 'read error'})`;
    throw new ConfigError(path, [{ path: '(file)', message: `cannot read the config file. Fix: ${fix}` }]);
  }
  return loadConfigText(text, { file: path, dir: dirname(path), ...options });
}

/** Loads a config from text (used by `signal dev` for its embedded sample config). */
export async function loadConfigText(text: string, options: LoadOptions & { file: string; dir: string }): Promise<LoadedConfig> {
  const { file, dir } = options;
  const parsed = parseYaml(text);
  if (parsed.source === undefined) throw new ConfigError(file, parsed.issues);
  const { lineOf } = parsed.source;
  const substituted = substituteEnv(parsed.source.value, options.env ?? process.env, lineOf, { dir });
  if (substituted.issues.length > 0) throw new ConfigError(file, substituted.issues);

  const result = configSchema.safeParse(substituted.value);
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.map((issue) => ({ path: formatPath(issue.path), line: lineOf(issue.path), message: withFix(issue.message, issue.path) })),
    );
  }
  const config = result.data;

  const issues: ConfigIssue[] = [];
  const integrations: LoadedIntegration[] = [];
  for (const [i, entry] of config.integrations.entries()) {
    const at = (...rest: PropertyKey[]) => ['integrations', i, ...rest];
    const plugin = await loadPlugin(entry.plugin, dir);
    if (!plugin.ok) {
      issues.push({ path: formatPath(at('plugin')), line: lineOf(at('plugin')), message: plugin.message });
      continue;
    }
    try {
      const integration = createIntegration(plugin.destination, {
        id: entry.id,
        settings: entry.settings,
        ...(entry.preset === undefined ? {} : { preset: entry.preset }),
        ...(entry.mapping === undefined ? {} : { mapping: entry.mapping }),
        consent: entry.consent,
      });
      integrations.push({ entry, destination: plugin.destination, pluginFrom: plugin.from, integration });
    } catch (error) {
      const settingsIssues = (error as { issues?: { path: string; message: string }[] }).issues;
      if ((error as { kind?: string }).kind !== 'settings' || settingsIssues === undefined) throw error;
      for (const si of settingsIssues) {
        // Core reports `settings.region` or `preset`; anchor it under this integration.
        const segments = si.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
        issues.push({ path: formatPath(at(...segments)), line: lineOf(at(...segments)), message: `${si.message} (${plugin.destination.name} plugin)` });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(file, issues);

  const routes = new Map<string, string[]>();
  for (const source of config.sources) {
    const ids = new Set<string>();
    for (const p of config.pipelines) if (p.sources.includes(source.id)) p.integrations.forEach((id) => ids.add(id));
    routes.set(source.id, [...ids]);
  }
  const sqlitePath =
    config.storage.driver === 'sqlite' ? (isAbsolute(config.storage.path) ? config.storage.path : resolve(dir, config.storage.path)) : undefined;
  return { file, dir, config, integrations, routes, ...(sqlitePath === undefined ? {} : { sqlitePath }) };
}

function withFix(message: string, path: readonly PropertyKey[]): string {
  if (/Unrecognized key/i.test(message)) {
    return `${message}. Fix: remove it or check its spelling (keys are snake_case, see README "Config reference")`;
  }
  if (/expected .*received undefined/i.test(message)) return `is required. Fix: add ${String(path[path.length - 1])}: ...`;
  return message;
}

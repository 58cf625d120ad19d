import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createIntegration, type AnyDestination, type Integration } from '@signal/core';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { loadPlugin } from './plugins.js';
import { configSchema, integrationSchema, pipelineSchema, referenceIssues, sourceSchema, type IntegrationEntry, type SignalConfig } from './schema.js';
import { didYouMean, keysInMessage, knownKeysAt, unknownKeyFix } from './suggest.js';
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
  /** Where plugin package names resolve from, in order (default: the config's directory). */
  pluginDirs?: readonly string[];
}

export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const fix =
      code === 'ENOENT'
        ? 'create it (see README "Config reference"), or pass another file with -c <file>'
        : code === 'EISDIR'
          ? 'this is a directory; pass the config file itself with -c <file>'
          : `check the file's permissions (${code ?? 'read error'})`;
    throw new ConfigError(path, [{ path: '(file)', message: `cannot read the config file. Fix: ${fix}` }]);
  }
  return loadConfigText(text, { file: path, dir: dirname(path), ...options });
}

/**
 * Collects issues once each (a problem found by two checks is reported once).
 * A variable that is not set also fails every check of the value it was to
 * fill (an empty string); those add nothing to "X is not set" and are left out.
 */
class Issues {
  readonly list: ConfigIssue[] = [];
  private readonly seen = new Set<string>();
  constructor(
    private readonly lineOf: (path: readonly PropertyKey[]) => number | undefined,
    private readonly unsetPaths: readonly string[],
  ) {}
  add(path: readonly PropertyKey[], message: string): void {
    const formatted = formatPath(path);
    const key = `${formatted}\n${message}`;
    if (this.seen.has(key) || this.unsetPaths.some((p) => formatted === p || formatted.startsWith(`${p}.`) || formatted.startsWith(`${p}[`))) return;
    this.seen.add(key);
    this.list.push({ path: formatted, line: this.lineOf(path), message });
  }
}

/**
 * Loads a config from text (`signal dev` uses it for its embedded sample
 * config). Every problem in the file is reported in one ConfigError: the
 * schema's, the references between sections and each plugin's settings,
 * checked for every entry that is valid by itself even when others are not.
 */
export async function loadConfigText(text: string, options: LoadOptions & { file: string; dir: string }): Promise<LoadedConfig> {
  const { file, dir } = options;
  const parsed = parseYaml(text);
  if (parsed.source === undefined) throw new ConfigError(file, parsed.issues);
  const { lineOf } = parsed.source;
  const substituted = substituteEnv(parsed.source.value, options.env ?? process.env, lineOf, { dir });
  const issues = new Issues(
    lineOf,
    substituted.issues.map((i) => i.path),
  );

  const result = configSchema.safeParse(substituted.value);
  let config: SignalConfig | undefined;
  let entries: readonly (IntegrationEntry | undefined)[];
  if (result.success) {
    config = result.data;
    entries = config.integrations;
  } else {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const known = knownKeysAt(configSchema, issue.path);
        for (const key of issue.keys) issues.add([...issue.path, key], `is not a known key. ${unknownKeyFix([key], known)}`);
      } else {
        issues.add(issue.path, withFix(issue.message, issue.path));
      }
    }
    const partial = sectionsThatParse(substituted.value);
    for (const ri of referenceIssues(partial)) issues.add(ri.path, ri.message);
    entries = partial.loadable;
  }

  const integrations: LoadedIntegration[] = [];
  for (const [i, entry] of entries.entries()) {
    if (entry !== undefined) {
      const loaded = await loadIntegration(entry, i, dir, options.pluginDirs, issues);
      if (loaded !== undefined) integrations.push(loaded);
    }
  }
  const all = [...substituted.issues, ...issues.list];
  if (all.length > 0 || config === undefined) throw new ConfigError(file, all);

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

/**
 * The sources, integrations and pipelines that are valid by themselves (holes
 * where one is not), for the checks between sections when the file as a whole
 * is not valid. An invalid source or integration still counts by its id, so a
 * pipeline naming it is not reported a second time.
 */
function sectionsThatParse(value: unknown) {
  const raw = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const each = <T>(key: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): { item: unknown; parsed?: T }[] => {
    const list = raw[key];
    if (!Array.isArray(list)) return [];
    return list.map((item: unknown) => {
      const r = schema.safeParse(item);
      return r.success ? { item, parsed: r.data } : { item };
    });
  };
  const field = (item: unknown, key: string): string | undefined => {
    const v = item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[key] : undefined;
    return typeof v === 'string' ? v : undefined;
  };
  const byId = <T>(e: { item: unknown; parsed?: T }) => {
    const id = field(e.item, 'id');
    return e.parsed ?? (id === undefined ? undefined : { id });
  };
  const integrations = each('integrations', integrationSchema);
  return {
    sources: each('sources', sourceSchema).map((e) => {
      const id = field(e.item, 'id');
      return e.parsed ?? (id === undefined ? undefined : { id, write_key: field(e.item, 'write_key') });
    }),
    integrations: integrations.map(byId),
    pipelines: each('pipelines', pipelineSchema).map((e) => e.parsed),
    /** Only the entries valid in full are loaded. */
    loadable: integrations.map((e) => e.parsed),
  };
}

async function loadIntegration(entry: IntegrationEntry, i: number, dir: string, pluginDirs: readonly string[] | undefined, issues: Issues): Promise<LoadedIntegration | undefined> {
  const at = (...rest: PropertyKey[]) => ['integrations', i, ...rest];
  const plugin = await loadPlugin(entry.plugin, dir, pluginDirs === undefined ? {} : { dirs: pluginDirs });
  if (!plugin.ok) {
    issues.add(at('plugin'), plugin.message);
    return undefined;
  }
  const { destination } = plugin;
  // Checked here, not by core, so that a wrong preset and wrong settings are reported together.
  const presets = Object.keys(destination.presets);
  const badPreset = entry.preset !== undefined && destination.presets[entry.preset] === undefined;
  if (badPreset) {
    const near = didYouMean(entry.preset!, presets);
    issues.add(at('preset'), `${destination.name} has no preset "${entry.preset}". Fix: ${near === undefined ? 'use one of' : `did you mean "${near}"? Presets:`} ${presets.join(', ')}`);
  }
  try {
    const integration = createIntegration(destination, {
      id: entry.id,
      settings: entry.settings,
      ...(entry.preset === undefined || badPreset ? {} : { preset: entry.preset }),
      ...(entry.mapping === undefined ? {} : { mapping: entry.mapping }),
      consent: entry.consent,
    });
    return badPreset ? undefined : { entry, destination, pluginFrom: plugin.from, integration };
  } catch (error) {
    const settingsIssues = (error as { issues?: { path: string; message: string }[] }).issues;
    if ((error as { kind?: string }).kind !== 'settings' || settingsIssues === undefined) {
      const cause = error instanceof Error ? error.message.split('\n')[0] : String(error);
      issues.add(at('settings'), `the ${destination.name} plugin failed while reading its settings: ${cause}. Fix: check the settings, or report it to the plugin's authors`);
      return undefined;
    }
    for (const si of settingsIssues) {
      // Core reports `settings.region` or `preset`; anchor it under this integration.
      const segments = si.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const unknown = keysInMessage(si.message);
      if (unknown.length > 0) {
        const known = knownKeysAt(destination.settings, segments.slice(1));
        for (const key of unknown) issues.add(at(...segments, key), `is not a ${destination.name} setting. ${unknownKeyFix([key], known)}`);
      } else {
        issues.add(at(...segments), `${withFix(si.message, segments)} (${destination.name} plugin)`);
      }
    }
    return undefined;
  }
}

function withFix(message: string, path: readonly PropertyKey[]): string {
  if (/expected .*received undefined/i.test(message)) return `is required. Fix: add ${String(path[path.length - 1])}: ...`;
  return message;
}

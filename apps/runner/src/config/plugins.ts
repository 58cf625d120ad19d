import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { definitionProblems, type AnyDestination } from '@signal/core';
import { moduleResolve } from 'import-meta-resolve';

/**
 * Where a plugin comes from. The runner bundles no plugin: `plugin:` is
 *
 *   - an npm package name (optionally with a subpath export), resolved exactly
 *     as an `import` in a file next to the config would resolve it (Node's ESM
 *     rules: the config directory's node_modules, then each parent's), or
 *   - a path to a local `.js`/`.mjs` file, relative to the config file.
 *
 * Nothing else: no URL of any scheme (`data:`, `file:`, `http:`, `node:`), no
 * other file type, no fallback to wherever the runner itself is installed, so
 * what runs is decided by the user's project alone, and `signal validate`
 * prints the file each plugin was loaded from.
 */
export type PluginLoad =
  | { ok: true; destination: AnyDestination; /** The file the plugin was imported from. */ from: string }
  | { ok: false; reason: PluginFailure; message: string };

/** refused: not a package name or local file; missing: not installed; import: threw while importing; invalid: not a destination. */
export type PluginFailure = 'refused' | 'missing' | 'import' | 'invalid';

export interface PluginSearch {
  /**
   * Directories package names resolve from, in order (default: the config
   * file's directory). `signal dev` adds the runner's own install as a second
   * place, for its four sandbox plugins.
   */
  dirs?: readonly string[];
}

type Specifier = { kind: 'package'; name: string } | { kind: 'file'; path: string } | { kind: 'refused'; message: string };

const packageName = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const urlScheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/** Reads `plugin:` without touching the disk. */
export function classifyPluginSpecifier(spec: string): Specifier {
  const scheme = urlScheme.exec(spec)?.[1];
  if (scheme !== undefined) {
    return { kind: 'refused', message: `is a URL (${scheme}:), and plugins are never loaded from URLs. Fix: name an installed npm package (e.g. "@signal/webhook") or a local .js/.mjs file (e.g. ./plugins/acme.mjs)` };
  }
  if (spec.startsWith('./') || spec.startsWith('../') || isAbsolute(spec)) {
    if (!/\.m?js$/.test(spec)) return { kind: 'refused', message: 'is a path, and a local plugin must be a .js or .mjs file. Fix: point it at the built JavaScript module (e.g. ./plugins/acme.mjs)' };
    return { kind: 'file', path: spec };
  }
  const [first, second] = spec.split('/');
  const name = spec.startsWith('@') ? `${first}/${second ?? ''}` : (first ?? '');
  if (!packageName.test(name) || spec.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) {
    return { kind: 'refused', message: 'is neither an npm package name nor a path. Fix: write a package name such as "@signal/clevertap", or a path starting with ./ to a .js/.mjs file' };
  }
  return { kind: 'package', name };
}

/** Is `name` installed (its package.json present) in `dir`'s node_modules or a parent's? */
function installedUnder(name: string, dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules', name, 'package.json'))) return true;
    if (dirname(d) === d) return false;
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  const code = (error as { code?: unknown } | null)?.code;
  const withCode = typeof code === 'string' && !line.includes(code) ? `${line} (${code})` : line;
  return withCode.length > 400 ? `${withCode.slice(0, 400)}…` : withCode;
}

type Resolved = { ok: true; file: string } | { ok: false; reason: PluginFailure; message: string };

function resolvePackage(spec: string, name: string, dirs: readonly string[]): Resolved {
  for (const dir of dirs) {
    let url: URL;
    try {
      url = moduleResolve(spec, pathToFileURL(join(dir, 'signal.config.yaml')), new Set(['node', 'import']), false);
    } catch (error) {
      if (!installedUnder(name, dir)) continue;
      return { ok: false, reason: 'import', message: `is installed under ${dir} but cannot be resolved: ${firstLine(error)}. Fix: reinstall it (npm install ${name}); its package.json "exports" must have an "import" or "default" entry` };
    }
    if (url.protocol !== 'file:') {
      return { ok: false, reason: 'refused', message: `names a Node.js built-in module (${url.href}), not a plugin. Fix: name the plugin's npm package` };
    }
    return { ok: true, file: fileURLToPath(url) };
  }
  const where = dirs.length === 1 ? dirs[0] : dirs.join(' or ');
  return {
    ok: false,
    reason: 'missing',
    message: `plugin package "${name}" is not installed (looked in ${where} and its parent directories' node_modules). Fix: npm install ${name}`,
  };
}

function resolveFile(spec: string, configDir: string): Resolved {
  const file = resolve(configDir, spec);
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    // Reported below.
  }
  if (!isFile) return { ok: false, reason: 'missing', message: `plugin file ${file} does not exist. Fix: check the path (it is relative to the config file's directory, ${configDir})` };
  return { ok: true, file };
}

/** Loads the plugin `spec` names for a config in `configDir`; never throws for what the user wrote or installed. */
export async function loadPlugin(spec: string, configDir: string, search: PluginSearch = {}): Promise<PluginLoad> {
  const what = classifyPluginSpecifier(spec);
  if (what.kind === 'refused') return { ok: false, reason: 'refused', message: `"${spec.length > 80 ? `${spec.slice(0, 80)}…` : spec}" ${what.message}` };
  const resolved = what.kind === 'file' ? resolveFile(what.path, configDir) : resolvePackage(spec, what.name, search.dirs ?? [configDir]);
  if (!resolved.ok) return resolved.reason === 'missing' ? resolved : { ...resolved, message: `plugin "${spec}" ${resolved.message}` };
  const { file } = resolved;

  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    return { ok: false, reason: 'import', message: `plugin "${spec}" failed to load from ${file}: ${firstLine(error)}. Fix: check that the plugin is built and its dependencies are installed (npm install in ${what.kind === 'file' ? dirname(file) : configDir})` };
  }
  // A CommonJS build may nest the default export once more.
  const nested = (mod.default as { default?: unknown } | undefined)?.default;
  const candidate = definitionProblems(mod.default).length > 0 && nested !== undefined && definitionProblems(nested).length === 0 ? nested : mod.default;
  if (candidate === undefined) {
    return { ok: false, reason: 'invalid', message: `plugin "${spec}" (loaded from ${file}) has no default export. Fix: \`export default defineDestination({...})\` from @signal/core` };
  }
  const problems = definitionProblems(candidate);
  if (problems.length > 0) {
    return { ok: false, reason: 'invalid', message: `plugin "${spec}" (loaded from ${file}) is not a complete destination: ${problems.join('; ')}. Fix: see the plugin contract in @signal/core's README` };
  }
  return { ok: true, destination: candidate as AnyDestination, from: file };
}

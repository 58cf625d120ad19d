import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyDestination } from '@signal/core';

/**
 * Plugins are loaded by package name from the user's project (the config
 * file's directory), so a user installs only the plugins they use and a
 * third-party package works like ours. The runner's own dependencies are the
 * fallback (the built-in plugins ship with it).
 */
export type PluginLoad = { ok: true; destination: AnyDestination; from: string } | { ok: false; reason: 'missing' | 'invalid'; message: string };

function entryFromPackageJson(pkgDir: string): string | undefined {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    exports?: unknown;
    module?: string;
    main?: string;
  };
  const pick = (target: unknown): string | undefined => {
    if (typeof target === 'string') return target;
    if (target !== null && typeof target === 'object') {
      const t = target as Record<string, unknown>;
      for (const cond of ['import', 'node', 'default']) {
        const found = pick(t[cond]);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  let exportsRoot = pkg.exports;
  if (exportsRoot !== null && typeof exportsRoot === 'object' && '.' in exportsRoot) exportsRoot = (exportsRoot as Record<string, unknown>)['.'];
  const entry = pick(exportsRoot) ?? pkg.module ?? pkg.main ?? 'index.js';
  return join(pkgDir, entry);
}

/** Finds `name` in node_modules from `fromDir` upwards. */
function resolveFrom(name: string, fromDir: string): string | undefined {
  if (name.startsWith('.') || isAbsolute(name)) {
    const file = resolve(fromDir, name);
    return existsSync(file) ? file : undefined;
  }
  try {
    // Handles packages with a "require"/"default" export and plain main files.
    return createRequire(join(fromDir, 'noop.js')).resolve(name);
  } catch {
    // ESM-only packages (exports with only "import") are not visible to require.resolve: walk node_modules.
  }
  let dir = fromDir;
  for (;;) {
    const pkgDir = join(dir, 'node_modules', name);
    if (existsSync(join(pkgDir, 'package.json'))) return entryFromPackageJson(pkgDir);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isDestination(value: unknown): value is AnyDestination {
  const d = value as Partial<AnyDestination> | null;
  return (
    d !== null &&
    typeof d === 'object' &&
    typeof d.id === 'string' &&
    typeof d.settings?.safeParse === 'function' &&
    typeof d.transform === 'function' &&
    typeof d.buildRequest === 'function' &&
    typeof d.parseResponse === 'function' &&
    typeof d.presets === 'object'
  );
}

async function importDestination(specifier: string, from: string): Promise<PluginLoad> {
  const mod = (await import(specifier)) as { default?: unknown };
  // A CommonJS build may nest the default export once more.
  const candidate = isDestination(mod.default) ? mod.default : (mod.default as { default?: unknown } | undefined)?.default;
  if (!isDestination(candidate)) {
    return { ok: false, reason: 'invalid', message: `was found at ${from} but its default export is not a destination. Fix: the package must \`export default defineDestination({...})\` from @signal/core` };
  }
  return { ok: true, destination: candidate, from };
}

export async function loadPlugin(name: string, configDir: string): Promise<PluginLoad> {
  const local = resolveFrom(name, configDir);
  if (local !== undefined) return importDestination(pathToFileURL(local).href, local);
  if (!name.startsWith('.') && !isAbsolute(name)) {
    try {
      return await importDestination(name, `${name} (bundled with the runner)`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
    }
  }
  const install = name.startsWith('.') || isAbsolute(name) ? `check the path (relative to ${configDir})` : `npm install ${name}`;
  return { ok: false, reason: 'missing', message: `plugin package "${name}" is not installed (looked in ${configDir} and its parents). Fix: ${install}` };
}

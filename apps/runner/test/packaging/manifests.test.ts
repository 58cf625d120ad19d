import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * What every published package must carry (issue #12), checked on the
 * workspace on every test run; the release test checks the same on the
 * tarballs, published and installed with npm.
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
type Manifest = Record<string, unknown> & {
  name: string;
  version: string;
  files: string[];
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  keywords: string[];
};
const plugins = ['leanplum', 'clevertap', 'launchdarkly', 'webhook'].map((p) => `packages/${p}`);
const all = ['packages/core', ...plugins, 'apps/runner'];
const manifest = (dir: string) => JSON.parse(read(`${dir}/package.json`)) as Manifest;

describe.each(all)('%s', (dir) => {
  const pkg = manifest(dir);

  it('has a LICENSE (the root one), a README, repository, homepage, keywords and honest engines', () => {
    expect(read(`${dir}/LICENSE`)).toBe(read('LICENSE'));
    expect(existsSync(join(root, dir, 'README.md'))).toBe(true);
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE']));
    expect(pkg).toMatchObject({ license: 'MIT', repository: { type: 'git', directory: dir }, engines: { node: '>=20.19' } });
    expect(pkg['homepage']).toEqual(expect.stringContaining(dir));
    expect(pkg.keywords.length).toBeGreaterThan(2);
  });

  it('exports work from import and from require(): types, import and a default condition on the ESM build', () => {
    for (const [sub, entry] of Object.entries(pkg.exports)) {
      if (sub === './package.json') continue;
      expect(entry, sub).toEqual({ types: expect.stringMatching(/\.d\.ts$/), import: expect.stringMatching(/\.js$/), default: (entry as { import: string }).import });
    }
  });
});

describe.each(plugins)('plugin %s', (dir) => {
  const pkg = manifest(dir);

  it('declares what it imports at run time, peers on core with a 0.x-wide range, and is findable on npm', () => {
    expect(pkg.dependencies).toHaveProperty('zod');
    expect(pkg.devDependencies ?? {}).not.toHaveProperty('zod');
    expect(pkg.peerDependencies).toEqual({ '@signal/core': 'workspace:>=0.1.0 <1.0.0' });
    expect(pkg.keywords).toContain('signal-destination');
    // Every bare import in src is declared.
    const imports = new Set<string>();
    for (const file of readdirRecursive(join(root, dir, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^'"]*from '([^.'][^']*)'/gm)) imports.add(m[1]!.startsWith('@') ? m[1]!.split('/').slice(0, 2).join('/') : m[1]!.split('/')[0]!);
    }
    for (const name of imports) if (!name.startsWith('node:')) expect({ ...pkg.dependencies, ...pkg.peerDependencies }, `${dir} imports ${name}`).toHaveProperty([name]);
  });

  it('takes its version from package.json (one source a release bumps)', async () => {
    const built = (await import(join(root, dir, 'dist/index.js'))) as { default: { version: string } };
    expect(built.default.version).toBe(pkg.version);
  });
});

describe('the runner', () => {
  it('depends on no plugin (they are devDependencies for the sandbox and tests)', () => {
    const pkg = manifest('apps/runner');
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@signal/'))).toEqual(['@signal/core']);
    for (const p of plugins) expect(pkg.devDependencies).toHaveProperty([`@signal/${p.split('/')[1]}`]);
  });
});

describe('the lockfile', () => {
  it('every package in it installs on Node 20.19 without EBADENGINE', () => {
    const lock = parse(read('pnpm-lock.yaml')) as { packages: Record<string, { engines?: { node?: string } }> };
    const refused = Object.entries(lock.packages)
      .filter(([, p]) => p.engines?.node !== undefined && !semver.satisfies('20.19.0', p.engines.node))
      .map(([name, p]) => `${name} wants node ${p.engines!.node}`);
    expect(refused).toEqual([]);
  });
});

describe('changesets', () => {
  it('bumps a peer dependent only when core leaves its range (so a core minor in 0.x moves no plugin to 1.0.0)', () => {
    const config = JSON.parse(read('.changeset/config.json')) as Record<string, Record<string, unknown>>;
    expect(config['___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH']).toEqual({ onlyUpdatePeerDependentsWhenOutOfRange: true });
  });
});

function readdirRecursive(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

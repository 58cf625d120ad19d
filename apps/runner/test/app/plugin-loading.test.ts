import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlugin } from '../../src/config/plugins.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

/**
 * `plugin:` is an npm package name or a local .js/.mjs file, and nothing else
 * (issue #9); the runner bundles no plugin, so a package resolves from the
 * config's project only (issue #12).
 */
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function project(files: Record<string, string> = {}): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'signal-plugins-')));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const complete = `export default {
  id: 'local', name: 'Local', version: '1.0.0',
  settings: { safeParse: (v) => ({ success: true, data: v }) },
  secrets: [], presets: { default: { events: {} } }, defaultPreset: 'default',
  limits: { maxBatchItems: 1, maxConcurrency: 1 }, capabilities: { batching: false, identify: false },
  transform: (m) => m, buildRequest: () => ({ method: 'POST', url: 'https://x.test', headers: {} }), parseResponse: (_r, b) => b.map(() => ({ status: 'delivered' })),
};
`;

const pkg = (name: string, main = 'index.js') => JSON.stringify({ name, version: '1.0.0', type: 'module', exports: { '.': { import: `./${main}` } } });
const noStack = (message: string) => expect(message).not.toMatch(/\n\s+at |at file:\/\/|at async/);

describe('what plugin: may name', () => {
  it.each([
    ['data:text/javascript,globalThis.__signalPwned=1', 'data:'],
    ['file:///tmp/evil.mjs', 'file:'],
    ['https://evil.example/plugin.mjs', 'https:'],
    ['node:fs', 'node:'],
  ])('refuses the URL %s without running it', async (spec, scheme) => {
    const result = await loadPlugin(spec, project());
    expect(result).toMatchObject({ ok: false, reason: 'refused' });
    expect(!result.ok && result.message).toContain(`is a URL (${scheme})`);
    expect((globalThis as { __signalPwned?: number }).__signalPwned).toBeUndefined();
  });

  it('refuses a file that is not .js/.mjs (e.g. /etc/hostname) without running it', async () => {
    const dir = project({ 'hostname': 'globalThis.__signalRanHostname = 1' });
    for (const spec of ['/etc/hostname', './hostname']) {
      const result = await loadPlugin(spec, dir);
      expect(result).toMatchObject({ ok: false, reason: 'refused' });
      expect(!result.ok && result.message).toContain('must be a .js or .mjs file');
    }
    expect((globalThis as { __signalRanHostname?: number }).__signalRanHostname).toBeUndefined();
  });

  it('refuses a built-in module named like a package', async () => {
    const result = await loadPlugin('fs', project());
    expect(result).toMatchObject({ ok: false, reason: 'refused' });
    expect(!result.ok && result.message).toContain('Node.js built-in');
  });

  it('refuses what is neither a package name nor a path', async () => {
    for (const spec of ['Not A Package', '~/plugins/x.mjs', '@scope', 'pkg/../../etc']) {
      expect(await loadPlugin(spec, project()), spec).toMatchObject({ ok: false, reason: 'refused' });
    }
  });

  it('loads a local .mjs file relative to the config file, not the working directory', async () => {
    const dir = project({ 'plugins/local.mjs': complete });
    const result = await loadPlugin('./plugins/local.mjs', dir);
    expect(result).toMatchObject({ ok: true, from: join(dir, 'plugins/local.mjs') });
    expect(result.ok && result.destination.id).toBe('local');
  });

  it('a local file that does not exist names the full path and where paths start', async () => {
    const dir = project();
    const result = await loadPlugin('./plugins/nope.mjs', dir);
    expect(result).toMatchObject({ ok: false, reason: 'missing' });
    expect(!result.ok && result.message).toContain(`${join(dir, 'plugins/nope.mjs')} does not exist`);
    expect(!result.ok && result.message).toContain(`relative to the config file's directory, ${dir}`);
  });
});

describe('import failures and incomplete plugins are config errors, never a stack trace', () => {
  it('a plugin that throws while importing: the plugin, the file and the cause', async () => {
    const dir = project({ 'node_modules/acme-broken/package.json': pkg('acme-broken'), 'node_modules/acme-broken/index.js': "throw new TypeError('acme needs ACME_HOME');\n" });
    const result = await loadPlugin('acme-broken', dir);
    expect(result).toMatchObject({ ok: false, reason: 'import' });
    const message = !result.ok ? result.message : '';
    expect(message).toContain('plugin "acme-broken" failed to load from');
    expect(message).toContain(join(dir, 'node_modules/acme-broken/index.js'));
    expect(message).toContain('acme needs ACME_HOME');
    noStack(message);
  });

  it('a plugin with a syntax error, and one whose dependency is missing', async () => {
    const dir = project({
      'bad-syntax.mjs': 'export default {\n',
      'needs-dep.mjs': "import leftPad from 'left-pad-not-installed';\nexport default leftPad;\n",
    });
    const syntax = await loadPlugin('./bad-syntax.mjs', dir);
    expect(syntax).toMatchObject({ ok: false, reason: 'import' });
    noStack(!syntax.ok ? syntax.message : '');
    const dep = await loadPlugin('./needs-dep.mjs', dir);
    expect(dep).toMatchObject({ ok: false, reason: 'import' });
    expect(!dep.ok && dep.message).toContain("left-pad-not-installed");
    noStack(!dep.ok ? dep.message : '');
  });

  it('names exactly which members an invalid plugin lacks', async () => {
    const partial = complete.replace("buildRequest: () => ({ method: 'POST', url: 'https://x.test', headers: {} }), ", '').replace("version: '1.0.0',", 'version: 1,');
    const dir = project({ 'partial.mjs': partial, 'empty.mjs': 'export const x = 1;\n' });
    const result = await loadPlugin('./partial.mjs', dir);
    expect(result).toMatchObject({ ok: false, reason: 'invalid' });
    const message = !result.ok ? result.message : '';
    expect(message).toContain('is not a complete destination: version: wrong type (number), needs a non-empty string');
    expect(message).toContain('buildRequest: missing, needs a function (batch, ctx) → HTTP request');
    expect(message).not.toContain('parseResponse');
    const empty = await loadPlugin('./empty.mjs', dir);
    expect(!empty.ok && empty.message).toContain('has no default export');
  });
});

describe('where packages resolve from', () => {
  it("the config's project only: a plugin installed next to the runner is not used", async () => {
    // @signal/webhook is one of the runner's devDependencies in this workspace; the runner bundles none.
    const result = await loadPlugin('@signal/webhook', project());
    expect(result).toMatchObject({ ok: false, reason: 'missing' });
    expect(!result.ok && result.message).toContain('plugin package "@signal/webhook" is not installed');
    expect(!result.ok && result.message).toContain('Fix: npm install @signal/webhook');
  });

  it("Node's rules: the config directory's node_modules first, then its parents'", async () => {
    const root = project({
      'node_modules/acme-dest/package.json': pkg('acme-dest'),
      'node_modules/acme-dest/index.js': complete.replace("id: 'local'", "id: 'from-parent'"),
      'app/node_modules/acme-dest/package.json': pkg('acme-dest'),
      'app/node_modules/acme-dest/index.js': complete.replace("id: 'local'", "id: 'from-app'"),
    });
    mkdirSync(join(root, 'other'));
    const nearest = await loadPlugin('acme-dest', join(root, 'app'));
    expect(nearest).toMatchObject({ ok: true, from: join(root, 'app/node_modules/acme-dest/index.js') });
    expect(nearest.ok && nearest.destination.id).toBe('from-app');
    const parent = await loadPlugin('acme-dest', join(root, 'other'));
    expect(parent.ok && parent.destination.id).toBe('from-parent');
  });

  it('loads our plugins by package name from the project, and says where from (the real file)', async () => {
    const dir = project();
    linkWorkspacePlugins(dir, ['clevertap']);
    const result = await loadPlugin('@signal/clevertap', dir);
    expect(result.ok && result.destination.id).toBe('clevertap');
    expect(result.ok && result.from).toMatch(/packages\/clevertap\/dist\/index\.js$/);
  });

  it('a package whose exports offer nothing to import is a clear error', async () => {
    const dir = project({ 'node_modules/acme-cjs/package.json': JSON.stringify({ name: 'acme-cjs', exports: { '.': { require: './index.cjs' } } }), 'node_modules/acme-cjs/index.cjs': '' });
    const result = await loadPlugin('acme-cjs', dir);
    expect(result).toMatchObject({ ok: false, reason: 'import' });
    expect(!result.ok && result.message).toContain('cannot be resolved');
    noStack(!result.ok ? result.message : '');
  });
});

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createHttpClient, deliverAll, parseEvent } from '@signal/core';
import { startFakeVendor } from '@signal/core/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { initPlugin } from '../../src/cli/plugin.js';
import { loadConfigFile } from '../../src/config/index.js';

/**
 * `signal plugin init` produces a package that builds, passes the kit and
 * loads in the runner by package name. Built inside the workspace (so tsup,
 * vitest and @signal/core resolve from it); the release test does the same
 * from the npm registry in a directory outside the workspace.
 */
const run = promisify(execFile);
const runnerDir = fileURLToPath(new URL('../../', import.meta.url));
const bin = (name: string) => fileURLToPath(new URL(`../../../../node_modules/.bin/${name}`, import.meta.url));
mkdirSync(join(runnerDir, '.tmp'), { recursive: true });
const scaffold = mkdtempSync(join(runnerDir, '.tmp', 'scaffold-'));
const project = realpathSync(mkdtempSync(join(tmpdir(), 'signal-scaffold-user-')));
afterAll(() => {
  rmSync(scaffold, { recursive: true, force: true });
  rmSync(project, { recursive: true, force: true });
});

describe('signal plugin init', () => {
  const dir = join(scaffold, 'acme');
  const created = initPlugin('@acme/signal-destination', { dir });

  it('writes a package with the signal-destination keyword and an honest peer range on @signal/core', () => {
    expect(created.files.sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src/index.ts', 'test/conformance.test.ts', 'tsconfig.json', 'tsup.config.ts', 'vitest.config.ts']);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const core = JSON.parse(readFileSync(join(runnerDir, '../../packages/core/package.json'), 'utf8')) as { version: string };
    const [major, minor] = core.version.split('.');
    expect(pkg['keywords']).toContain('signal-destination');
    expect(pkg['peerDependencies']).toEqual({ '@signal/core': major === '0' ? `>=0.${minor}.0 <1.0.0` : `^${major}.${minor}.0` });
    expect(pkg['dependencies']).toHaveProperty('zod');
    expect(pkg['exports']).toEqual({ '.': { types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' }, './package.json': './package.json' });
  });

  it('refuses to write into a directory that is not empty', () => {
    expect(() => initPlugin('@acme/signal-destination', { dir })).toThrow(/already exists and is not empty/);
  });

  it('builds (tsup, with types) and passes the conformance kit (its own test file)', async () => {
    await run(bin('tsup'), [], { cwd: dir, timeout: 120_000 });
    expect(existsSync(join(dir, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(dir, 'dist/index.d.ts'))).toBe(true);
    const { stdout } = await run(bin('vitest'), ['run', '--reporter=json'], { cwd: dir, timeout: 120_000 });
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { numPassedTests: number; numFailedTests: number };
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBeGreaterThan(15);
  }, 240_000);

  it('loads in the runner by package name and delivers', async () => {
    mkdirSync(join(project, 'node_modules/@acme'), { recursive: true });
    symlinkSync(dir, join(project, 'node_modules/@acme/signal-destination'), 'dir');
    const file = join(project, 'signal.config.yaml');
    writeFileSync(
      file,
      `sources: [ { id: web, write_key: web-key-123456 } ]
integrations:
  - { id: acme, plugin: "@acme/signal-destination", settings: { api_key: acme-key-12345678 } }
pipelines: [ { id: main, sources: [web], integrations: [acme] } ]
`,
    );
    const loaded = await loadConfigFile(file, { env: {} });
    expect(loaded.integrations[0]!.pluginFrom).toBe(join(dir, 'dist/index.js'));
    const vendor = await startFakeVendor(() => ({ status: 200, body: { ok: true } }));
    const http = createHttpClient({ hostOverrides: { 'api.acme.example': vendor.url } });
    try {
      const parsed = parseEvent({ type: 'track', event: 'Order Completed', userId: 'u1', properties: { revenue: 5 } });
      if (!parsed.ok) throw new Error('bad event');
      const { results } = await deliverAll(loaded.integrations[0]!.integration, [parsed.event], http);
      expect(results).toEqual([{ status: 'delivered' }]);
      expect(vendor.requests[0]!.headers['authorization']).toBe('Bearer acme-key-12345678');
      expect(vendor.requests[0]!.json<{ events: { name: string }[] }>().events[0]!.name).toBe('purchase');
    } finally {
      await http.close();
      await vendor.close();
    }
  });
});

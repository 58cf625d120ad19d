import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxPlugins } from '../../src/dev/sandbox.js';

/**
 * The runner depends on no plugin, yet `signal dev` runs all four: it finds
 * them in the current project, then next to the runner (here: the runner's
 * devDependencies in the workspace, as `npm run dev` uses them). From a
 * directory that has none of them it still starts. The npm user's case (not
 * installed anywhere: the exact install command) is in the release test.
 */
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'signal-dev-elsewhere-')));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('signal dev finds its plugins', () => {
  it('names the four plugins the sample config uses', () => {
    expect([...sandboxPlugins]).toEqual(['@signal/leanplum', '@signal/clevertap', '@signal/launchdarkly', '@signal/webhook']);
  });

  it('starts from a directory with no node_modules, using the plugins installed next to the runner', async () => {
    const child = spawn(process.execPath, [cli, 'dev', '--port', '0', '--data-dir', join(cwd, 'data')], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const stopped = () => {
      child.kill('SIGINT');
      return exited;
    };
    // The banner comes in several writes (a pipe may deliver them apart): wait for its vendor lines too.
    const vendors = ['leanplum', 'clevertap', 'launchdarkly', 'webhook'];
    const listed = () => output.includes('Signal sandbox is running') && vendors.every((v) => output.includes(`fake ${v}`));
    const started = await new Promise<boolean>((resolve) => {
      const timer = setInterval(() => {
        if (listed()) {
          clearInterval(timer);
          resolve(true);
        }
      }, 100);
      void exited.then(() => {
        clearInterval(timer);
        resolve(listed());
      });
    });
    expect(started, output).toBe(true);
    for (const vendor of vendors) expect(output).toContain(`fake ${vendor}`);
    // Stopping is not what this test is about (a SIGINT right after the banner may land before the stop handler).
    await stopped();
  }, 60_000);
});

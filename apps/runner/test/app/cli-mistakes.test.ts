import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { linkWorkspacePlugins } from '../workspace-plugins.js';
import { makeProject, type Project } from './helpers/project.js';

/**
 * The built CLI, as a user runs it: no user mistake prints a stack trace, and
 * the exit code says which kind of failure it was (README "CLI": 0 done,
 * 1 the command found a problem, 2 the command line is wrong).
 */
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function signal(args: string[], cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, env: { ...process.env, SIGNAL_URL: 'http://127.0.0.1:9' }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

const noStack = (r: Run) => {
  expect(r.stderr).not.toMatch(/\n\s+at [\w.<]+ \(|\n\s+at file:|\n\s+at async /);
  expect(r.stderr).not.toContain('unexpected error');
};

let project: Project | undefined;
afterEach(() => project?.cleanup());

const valid = `server: { port: 8080 }
sources: [ { id: web, write_key: web-key-123456 } ]
integrations:
  - { id: hook, plugin: "@signal/webhook", settings: { url: https://hooks.example.com/in } }
pipelines: [ { id: main, sources: [web], integrations: [hook] } ]
`;

describe('bad flag values are usage errors (exit 2), never a stack trace', () => {
  it.each([
    [['deliveries', '--status', 'bogus'], /argument 'bogus' is invalid\. Allowed choices are failed, retry, delivered/],
    [['deliveries', '--limit', 'ten'], /argument 'ten' is invalid\. must be a whole number from 1 to 1000/],
    [['start', '--port', 'abc'], /argument 'abc' is invalid\. must be a whole number from 0 to 65535/],
    [['dev', '--port', '99999'], /must be a whole number from 0 to 65535/],
    [['start', '--prot', '8080'], /unknown option '--prot'[\s\S]*Did you mean --port\?/],
    [['vaildate'], /unknown command 'vaildate'[\s\S]*Did you mean validate\?/],
    [['plugin', 'init', 'Not A Name'], /is not an npm package name/],
  ])('signal %j', async (args, message) => {
    const r = await signal(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r);
  });

  it('--help and --version exit 0', async () => {
    expect((await signal(['--help'])).code).toBe(0);
    expect((await signal(['validate', '--help'])).code).toBe(0);
    expect((await signal(['--version'])).code).toBe(0);
  });
});

describe('user mistakes the command finds are exit 1 with the fix, never a stack trace', () => {
  it('a missing config file', async () => {
    const r = await signal(['validate', '-c', '/nonexistent/signal.config.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read the config file. Fix: create it');
    noStack(r);
  });

  it('a config file that is a directory', async () => {
    project = makeProject({ plugin: false });
    const r = await signal(['validate', '-c', project.dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('this is a directory');
    noStack(r);
  });

  it('a plugin that throws while importing: validate and start both say so', async () => {
    project = makeProject({ plugin: false });
    project.write('plugins/broken.mjs', "throw new RangeError('broken on purpose');\n");
    const file = project.write('signal.config.yaml', valid.replace('"@signal/webhook"', './plugins/broken.mjs'));
    for (const command of ['validate', 'start']) {
      const r = await signal([command, '-c', file]);
      expect(r.code, command).toBe(1);
      expect(r.stderr).toContain('plugin "./plugins/broken.mjs" failed to load from');
      expect(r.stderr).toContain('broken on purpose');
      noStack(r);
    }
  });

  it('an uninstalled plugin: validate and start name the install command', async () => {
    project = makeProject({ plugin: false });
    const file = project.write('signal.config.yaml', valid);
    for (const command of ['validate', 'start']) {
      const r = await signal([command, '-c', file]);
      expect(r.code, command).toBe(1);
      expect(r.stderr).toContain('integrations[0].plugin (line 4): plugin package "@signal/webhook" is not installed');
      expect(r.stderr).toContain('Fix: npm install @signal/webhook');
      noStack(r);
    }
  });

  it('deliveries against a runner that is not running', async () => {
    const r = await signal(['deliveries', '--url', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach the runner');
    noStack(r);
  });
});

describe('signal validate', () => {
  it('prints where each plugin was loaded from', async () => {
    project = makeProject({ plugin: false });
    linkWorkspacePlugins(project.dir, ['webhook']);
    const r = await signal(['validate', '-c', project.write('signal.config.yaml', valid)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hook\s+Webhook \S+ \(@signal\/webhook\), preset default\n\s+loaded from \/\S+\/packages\/webhook\/dist\/index\.js/);
  });

  it('--json: the summary, or every issue with path and line (exit 1), no values', async () => {
    project = makeProject({ plugin: false });
    linkWorkspacePlugins(project.dir, ['webhook']);
    const ok = await signal(['validate', '--json', '-c', project.write('signal.config.yaml', valid)]);
    expect(ok.code).toBe(0);
    const summary = JSON.parse(ok.stdout) as { ok: boolean; integrations: { id: string; from: string; version: string }[] };
    expect(summary.ok).toBe(true);
    expect(summary.integrations).toEqual([expect.objectContaining({ id: 'hook', plugin: '@signal/webhook', from: expect.stringMatching(/packages\/webhook\/dist\/index\.js$/) })]);
    expect(ok.stdout).not.toContain('web-key-123456');

    const bad = await signal(['validate', '--json', '-c', project.write('bad.yaml', valid.replace('port: 8080', 'port: 8080, prot: 1').replace('integrations: [hook]', 'integrations: [hok]'))]);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as { ok: boolean; issues: { path: string; line: number; message: string }[] };
    expect(report.ok).toBe(false);
    expect(report.issues.map((i) => [i.path, i.line])).toEqual([
      ['server.prot', 1],
      ['pipelines[0].integrations[0]', 5],
    ]);
    expect(bad.stdout).not.toContain('web-key-123456');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../src/config/index.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';
import { makeProject, type Project } from './helpers/project.js';

let project: Project | undefined;
afterEach(() => project?.cleanup());

async function loadError(text: string, env: Record<string, string> = {}): Promise<ConfigError> {
  project = makeProject({ plugin: false });
  linkWorkspacePlugins(project.dir, ['clevertap', 'webhook']);
  const file = project.write('signal.config.yaml', text);
  try {
    await loadConfigFile(file, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

// Nine mistakes across every section; one `signal validate` run must name them all.
const broken = `server: { port: 8080, prot: 9090 }
storage: { driver: sqlite, retention_days: seven }
sources:
  - { id: web, write_key: \${WEB_KEY} }
  - { id: app, writeKey: app-key-123456 }
integrations:
  - id: clevertap
    plugin: "@signal/clevertap"
    preset: defualt
    settings: { account_id: ACC-1, passcode: pc-secret-123, region: mars }
  - id: hook
    plugin: "@signal/webhook"
    settings: { url: https://hooks.example.com/in, mehtod: PUT }
  - id: leanplum
    plugin: "@signal/leanplum"
  - id: evil
    plugin: "data:text/javascript,export default 1"
pipelines:
  - { id: main, sources: [web, mobile], integrations: [clevertap, hook, leanplum, clevrtap] }
`;

describe('every problem in the file, in one run', () => {
  it('reports schema, references between sections and plugin settings together, each with its line', async () => {
    const error = await loadError(broken);
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'server.prot',
        'storage.retention_days',
        'sources[0].write_key',
        'sources[1].writeKey',
        'sources[1].write_key',
        'integrations[0].preset',
        'integrations[0].settings.region',
        'integrations[1].settings.mehtod',
        'integrations[2].plugin',
        'integrations[3].plugin',
        'pipelines[0].sources[1]',
        'pipelines[0].integrations[3]',
      ].sort(),
    );
    expect(byPath['server.prot']).toMatchObject({ line: 1, message: expect.stringContaining('did you mean "port"?') });
    expect(byPath['storage.retention_days']!.line).toBe(2);
    expect(byPath['sources[0].write_key']!.message).toContain('WEB_KEY is not set');
    expect(byPath['sources[1].writeKey']).toMatchObject({ line: 5, message: expect.stringContaining('did you mean "write_key"?') });
    expect(byPath['integrations[0].preset']).toMatchObject({ line: 9, message: expect.stringContaining('did you mean "default"?') });
    expect(byPath['integrations[0].settings.region']).toMatchObject({ line: 10, message: expect.stringContaining('(CleverTap plugin)') });
    expect(byPath['integrations[1].settings.mehtod']).toMatchObject({ line: 13, message: expect.stringContaining('is not a Webhook setting. Fix: did you mean "method"?') });
    expect(byPath['integrations[2].plugin']!.message).toContain('npm install @signal/leanplum');
    expect(byPath['integrations[3].plugin']!.message).toContain('is a URL (data:)');
    expect(byPath['pipelines[0].sources[1]']!.message).toContain('no source has id "mobile"');
    expect(byPath['pipelines[0].integrations[3]']!.message).toContain('no integration has id "clevrtap"');
    // Values are never printed: they may be secrets.
    expect(error.message).not.toContain('pc-secret-123');
    expect(error.message).not.toContain('app-key-123456');
  });

  it('a missing variable is reported once, not again as the empty value it leaves', async () => {
    const error = await loadError(`sources: [ { id: web, write_key: \${WEB_KEY} } ]
integrations:
  - { id: hook, plugin: "@signal/webhook", settings: { url: \${HOOK_URL} } }
pipelines: [ { id: main, sources: [web], integrations: [hook] } ]
`);
    expect(error.issues.map((i) => i.path)).toEqual(['sources[0].write_key', 'integrations[0].settings.url']);
    expect(error.issues.every((i) => / is not set/.test(i.message))).toBe(true);
  });

  it('suggests snake_case for camelCase keys and lists the known keys when nothing is close', async () => {
    const error = await loadError(`server: { adminToken: abcdefgh12, zzz: 1 }
sources: [ { id: web, write_key: web-key-123456 } ]
`);
    expect(error.issues.find((i) => i.path === 'server.adminToken')!.message).toContain('did you mean "admin_token"?');
    expect(error.issues.find((i) => i.path === 'server.zzz')!.message).toMatch(/known keys here: port, host, admin_token/);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../src/config/index.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';
import { makeProject, type Project } from './helpers/project.js';

let project: Project | undefined;
afterEach(() => project?.cleanup());

const base = (integration: string) => `server: { port: 8080 }
storage: { driver: sqlite, path: ./data/signal.db }
sources:
  - id: web
    write_key: \${WEB_KEY}
integrations:
${integration}
pipelines:
  - { id: main, sources: [web], integrations: [acme] }
`;

const acme = `  - id: acme
    plugin: acme-signal-destination
    settings:
      url: https://hooks.acme.test/in
      api_key: \${ACME_KEY}
      region: us`;

async function loadError(file: string, env: Record<string, string>): Promise<ConfigError> {
  try {
    await loadConfigFile(file, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('loads a valid config, substitutes env vars and loads a third-party plugin from the project', async () => {
    project = makeProject();
    const file = project.write('signal.config.yaml', base(acme));
    const loaded = await loadConfigFile(file, { env: { WEB_KEY: 'web-key-123456', ACME_KEY: 'acme-secret-xyz' } });
    expect(loaded.config.sources[0]!.write_key).toBe('web-key-123456');
    expect(loaded.integrations.map((i) => i.integration.id)).toEqual(['acme']);
    expect(loaded.integrations[0]!.pluginFrom).toContain(project.dir);
    expect(loaded.routes.get('web')).toEqual(['acme']);
    expect(loaded.sqlitePath).toBe(`${project.dir}/data/signal.db`);
  });

  it('accepts the DESIGN.md example as written (${VAR} inside flow mappings, our plugin by package name from the project)', async () => {
    project = makeProject({ plugin: false });
    linkWorkspacePlugins(project.dir, ['leanplum']);
    const file = project.write(
      'signal.config.yaml',
      `server: { port: \${PORT} }
storage: { driver: sqlite, path: ./data/signal.db }
http: { host_overrides: { "api.leanplum.com": "http://127.0.0.1:4010" } }
sources: [ { id: web, write_key: \${SIGNAL_WRITE_KEY} } ]
integrations:
  - id: leanplum
    plugin: "@signal/leanplum"
    preset: retail
    consent: [marketing]
    settings: { app_id: app_1, client_key: \${LEANPLUM_CLIENT_KEY} }
    mapping: { events: { "Order Completed": Purchase } }
pipelines: [ { id: main, sources: [web], integrations: [leanplum] } ]
`,
    );
    const loaded = await loadConfigFile(file, { env: { PORT: '9090', SIGNAL_WRITE_KEY: 'k-123456789', LEANPLUM_CLIENT_KEY: 'prod_abcdef' } });
    expect(loaded.config.server.port).toBe(9090);
    expect(loaded.config.sources[0]!.write_key).toBe('k-123456789');
    expect(loaded.integrations[0]!.integration.settings).toMatchObject({ client_key: 'prod_abcdef' });
    expect(loaded.integrations[0]!.integration.consent).toEqual(['marketing']);
  });

  it('names the missing env var, file, path and line, and never prints other values', async () => {
    project = makeProject();
    const file = project.write('signal.config.yaml', base(acme));
    const error = await loadError(file, { WEB_KEY: 'web-key-123456' });
    expect(error.message).toContain(file);
    expect(error.issues).toEqual([expect.objectContaining({ path: 'integrations[0].settings.api_key', line: 11 })]);
    expect(error.message).toContain('ACME_KEY is not set');
    expect(error.message).toContain('export ACME_KEY=');
    expect(error.message).not.toContain('web-key-123456');
  });

  it('reports plugin settings errors under the integration path, with the line, without the secret', async () => {
    project = makeProject();
    const file = project.write('signal.config.yaml', base(acme.replace('region: us', 'region: mars')));
    const error = await loadError(file, { WEB_KEY: 'web-key-123456', ACME_KEY: 'acme-secret-xyz' });
    expect(error.issues.map((i) => i.path)).toEqual(['integrations[0].settings.region']);
    expect(error.issues[0]!.line).toBe(12);
    expect(error.message).not.toContain('acme-secret-xyz');
  });

  it('a missing plugin names the package and the install command', async () => {
    project = makeProject({ plugin: false });
    const file = project.write('signal.config.yaml', base(acme.replace('acme-signal-destination', '"@signal/not-a-plugin"')));
    const error = await loadError(file, { WEB_KEY: 'web-key-123456', ACME_KEY: 'acme-secret-xyz' });
    expect(error.issues[0]!.path).toBe('integrations[0].plugin');
    expect(error.message).toContain('"@signal/not-a-plugin" is not installed');
    expect(error.message).toContain('npm install @signal/not-a-plugin');
  });

  it('schema errors name the path and the fix: unknown keys, wrong driver', async () => {
    project = makeProject();
    const text = base(acme)
      .replace('storage: { driver: sqlite, path: ./data/signal.db }', 'storage: { driver: postgres }')
      .replace('server: { port: 8080 }', 'server: { port: 8080, prot: 1 }');
    const file = project.write('signal.config.yaml', text);
    const error = await loadError(file, { WEB_KEY: 'web-key-123456', ACME_KEY: 'acme-secret-xyz' });
    expect(error.issues.map((i) => i.path)).toEqual(['server.prot', 'storage.driver']);
    expect(error.message).toMatch(/server\.prot \(line 1\): is not a known key\. Fix: did you mean "port"\?/);
    expect(error.message).toContain('driver must be "sqlite" or "nats"');
  });

  it('a pipeline naming an unknown integration says which ids exist', async () => {
    project = makeProject();
    const file = project.write('signal.config.yaml', base(acme).replace('integrations: [acme]', 'integrations: [acme, clevertap]'));
    const error = await loadError(file, { WEB_KEY: 'web-key-123456', ACME_KEY: 'acme-secret-xyz' });
    expect(error.issues).toEqual([expect.objectContaining({ path: 'pipelines[0].integrations[1]', line: 14 })]);
    expect(error.message).toContain('no integration has id "clevertap"');
    expect(error.message).toContain('known: acme');
  });

  it('a missing file is a config error that says how to fix it', async () => {
    const error = await loadError('/nonexistent/signal.config.yaml', {});
    expect(error.message).toContain('/nonexistent/signal.config.yaml');
    expect(error.message).toContain('-c <file>');
  });

  it('YAML syntax errors carry the line', async () => {
    project = makeProject();
    const file = project.write('signal.config.yaml', 'sources:\n  - id: web\n   write_key: [oops\n');
    const error = await loadError(file, {});
    expect(error.issues[0]!.path).toBe('(yaml)');
    expect(error.issues[0]!.line).toBeGreaterThan(0);
  });
});

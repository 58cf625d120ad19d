import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../src/config/index.js';
import { makeProject, type Project } from './helpers/project.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// `${file:/path}`: secrets from files (Docker and Kubernetes mount them under /run/secrets/), with
// the same rules as `${ENV}`: resolved in parsed values, a missing one named by path and place, never a value shown.
let project: Project | undefined;
afterEach(() => project?.cleanup());

const config = (writeKey: string, clientKey: string) => `server: { port: 8080 }
storage: { driver: sqlite, path: ./data/signal.db }
sources:
  - { id: web, write_key: ${writeKey} }
integrations:
  - id: leanplum
    plugin: "@signal/leanplum"
    settings: { app_id: app_1, client_key: ${clientKey} }
pipelines:
  - { id: main, sources: [web], integrations: [leanplum] }
`;

async function loadError(file: string, env: Record<string, string> = {}): Promise<ConfigError> {
  try {
    await loadConfigFile(file, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('${file:...} secrets', () => {
  it('reads absolute and config-relative files (trailing newline dropped), inside flow mappings too, next to ${ENV}', async () => {
    project = makeProject({ plugin: false });
    linkWorkspacePlugins(project.dir);
    const secrets = join(project.dir, 'run', 'secrets');
    mkdirSync(secrets, { recursive: true });
    writeFileSync(join(secrets, 'leanplum_client_key'), 'prod_from_file: "#{}[], \'quoted\'\n');
    writeFileSync(join(project.dir, 'write-key.txt'), 'write-key-from-file-1\r\n');
    const file = project.write('signal.config.yaml', config('${file:./write-key.txt}', `\${file:${join(secrets, 'leanplum_client_key')}}`));
    const loaded = await loadConfigFile(file, { env: {} });
    expect(loaded.config.sources[0]!.write_key).toBe('write-key-from-file-1');
    expect((loaded.integrations[0]!.integration.settings as { client_key: string }).client_key).toBe('prod_from_file: "#{}[], \'quoted\'');
    // The file's value is a secret like any other: the integration masks it.
    expect(loaded.integrations[0]!.integration.redact('key prod_from_file: "#{}[], \'quoted\'')).toBe('key [REDACTED]');
  });

  it('$${file:...} is a literal', async () => {
    project = makeProject({ plugin: false });
    linkWorkspacePlugins(project.dir);
    const file = project.write('signal.config.yaml', config('write-key-123456', '"prod_$${file:/x}"'));
    const loaded = await loadConfigFile(file, { env: {} });
    expect((loaded.integrations[0]!.integration.settings as { client_key: string }).client_key).toBe('prod_${file:/x}');
  });

  it('a missing, empty, unreadable or oversized file is a config error naming the path and the place, never a value', async () => {
    project = makeProject({ plugin: false });
    linkWorkspacePlugins(project.dir);
    writeFileSync(join(project.dir, 'empty'), '\n');
    writeFileSync(join(project.dir, 'big'), 'x'.repeat(100 * 1024));
    writeFileSync(join(project.dir, 'locked'), 'prod_locked_secret_value');
    chmodSync(join(project.dir, 'locked'), 0o000);
    const cases: [string, RegExp][] = [
      ['${file:/run/secrets/does-not-exist}', /secret file \/run\/secrets\/does-not-exist does not exist\. Fix: mount it/],
      ['${file:./empty}', /is empty/],
      ['${file:./big}', /larger than 64 KB/],
      ['${file:}', /needs a path/],
      ['${file:./}', /is a directory/],
    ];
    if (process.getuid?.() !== 0) cases.push(['${file:./locked}', /cannot be read \(EACCES\)/]);
    for (const [ref, message] of cases) {
      const file = project.write('signal.config.yaml', config('write-key-123456', ref));
      const error = await loadError(file);
      expect(error.issues, ref).toHaveLength(1);
      expect(error.issues[0]!.path, ref).toBe('integrations[0].settings.client_key');
      expect(error.issues[0]!.line, ref).toBe(8);
      expect(error.issues[0]!.message, ref).toMatch(message);
      expect(error.message).not.toContain('xxxx');
      expect(error.message).not.toContain('prod_locked_secret_value');
    }
  });

  it('${ENV} rules are unchanged: a missing variable names the variable and the place', async () => {
    project = makeProject({ plugin: false });
    linkWorkspacePlugins(project.dir);
    const file = project.write('signal.config.yaml', config('${WEB_KEY}', '${LP_KEY}'));
    const error = await loadError(file, { WEB_KEY: 'write-key-123456' });
    expect(error.issues.map((i) => [i.path, i.message.split('.')[0]])).toEqual([['integrations[0].settings.client_key', 'environment variable LP_KEY is not set']]);
  });
});

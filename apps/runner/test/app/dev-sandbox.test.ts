import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/dev/sandbox.js';
import { eventually } from './helpers/vendors.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
let sandbox: Sandbox;
let dir: string;
const lines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signal-dev-'));
  sandbox = await startSandbox({ port: 0, dataDir: dir, print: (l) => lines.push(l), engine: { lingerMs: 20, pollIntervalMs: 50 } });
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('signal dev', () => {
  it('the printed curl delivers an Order Completed track to all four fake vendors, one live line each', async () => {
    const curl = lines.join('\n').split('\n\n').find((block) => block.startsWith('curl '))!;
    const { stdout } = await run('sh', ['-c', curl]);
    expect(JSON.parse(stdout)).toEqual({ success: true });

    const delivered = await eventually(async () => {
      const found = lines.filter((l) => /Order Completed\s+delivered/.test(l));
      return found.length >= 4 ? found : undefined;
    }, 'four delivered lines');
    expect(delivered.map((l) => l.trim().split(/\s+/)[1]).sort()).toEqual(['clevertap', 'launchdarkly', 'leanplum', 'webhook']);
    for (const v of sandbox.vendors.vendors) expect(v.received.length, v.name).toBeGreaterThanOrEqual(1);
  });

  it('signal deliveries reads the running runner API; signal validate fails clearly on a bad config', async () => {
    const { stdout } = await run(process.execPath, [cli, 'deliveries', '--url', sandbox.runner.url, '--token', 'dev-admin-token', '--json']);
    const rows = JSON.parse(stdout) as { integration: string; state: string }[];
    expect(rows.filter((r) => r.state === 'delivered').map((r) => r.integration).sort()).toEqual(['clevertap', 'launchdarkly', 'leanplum', 'webhook']);

    const bad = join(dir, 'bad.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, 'sources: [ { id: web, write_key: ${NOPE_KEY} } ]\n');
    const failed = await run(process.execPath, [cli, 'validate', '-c', bad]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('sources[0].write_key (line 1)');
    expect(failed?.stderr).toContain('NOPE_KEY is not set');
  });

  it('prints the debugger address first, and it serves the page only with the printed token', async () => {
    const line = lines.find((l) => l.trim().startsWith('debugger'));
    expect(line).toBeDefined();
    const url = /(http:\/\/\S+\/debugger\?token=\S+)/.exec(line!)?.[1];
    expect(url).toBeDefined();
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const refused = await fetch(url!.replace(/\?token=.*/, ''));
    expect(refused.status).toBe(401);
    const api = await fetch(`${sandbox.runner.url}/api/deliveries`);
    expect(api.status).toBe(401);
  });
});

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startFakeVendor, type FakeVendor, type RecordedRequest } from '@signal/core/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamNames } from '../../src/spool/nats/names.js';
import { deleteStreams } from '../../src/spool/nats/streams.js';
import type { EventDetail } from '../../src/spool/types.js';
import { eventually } from '../app/helpers/vendors.js';
import { natsMissing, natsUrl } from '../nats/nats-available.js';
import { cli, freePort, runCli, startCli, type StartedCli } from './cli-process.js';
import { linkWorkspacePlugins } from '../workspace-plugins.js';

// Recognisable secrets planted in every plugin's settings, sent for real to fake vendors that echo
// them back in response headers and bodies; then every place Signal writes or answers is searched:
// the SQLite file and its WAL, the NATS streams, `signal start` stdout/stderr at debug level, every
// /api answer, the debugger's page, stream and API, /metrics, and the CLI's deliveries, send-test
// and validate output. 0 hits.
const secrets = {
  leanplumClientKey: 'prod_PLANTEDlpClientKey01',
  clevertapPasscode: 'PLANTED-ct-passcode-02',
  launchdarklyToken: 'api-PLANTED-ld-token-03',
  webhookPassword: 'PLANTED_wh_password_04',
  webhookKey: 'PLANTED_wh_key_05',
  webhookToken: 'PLANTED_wh_token_06',
  webhookCode: 'PLANTED_wh_code_07',
  xAuth: 'PLANTED_x_auth_08',
  xCustomAuth: 'PLANTED_custom_auth_09',
  xApiKey: 'PLANTED_api_key_10',
  bearerHeader: 'PLANTED_bearer_11',
};
const writeKey = 'PLANTED_write_key_12';
/** Every spelling a secret can take on the way: raw, URL-encoded, and inside the basic-auth header. */
const needles = (): string[] => {
  const values = Object.values(secrets);
  return [...values, ...values.map(encodeURIComponent), Buffer.from(`hookuser:${secrets.webhookPassword}`).toString('base64'), writeKey];
};
function hits(where: string, text: string | Buffer): string[] {
  const haystack = Buffer.isBuffer(text) ? text.toString('latin1') : text;
  return needles()
    .filter((n) => haystack.includes(n))
    .map((n) => `${where}: ${n}`);
}

/** A vendor that accepts, and echoes every request header and the path back in its response headers and body. */
function echo(req: RecordedRequest, body: Record<string, unknown>) {
  const all = `${req.path} ${JSON.stringify(req.headers)} ${req.body}`;
  return {
    status: 200,
    headers: { 'x-echo': Buffer.from(all).toString('latin1').replace(/[^\x20-\x7e]/g, ' ').slice(0, 4000), 'set-cookie': `session=${secrets.clevertapPasscode}`, 'x-auth': secrets.xAuth },
    body: { ...body, echo: all },
  };
}

function configText(vendors: Record<string, FakeVendor>, port: number, storage: string): string {
  return `server: { port: ${port}, host: 127.0.0.1 }
storage: ${storage}
http:
  host_overrides:
    api.leanplum.com: ${vendors['leanplum']!.url}
    us1.api.clevertap.com: ${vendors['clevertap']!.url}
    events.launchdarkly.com: ${vendors['launchdarkly']!.url}
    hooks.example.com: ${vendors['webhook']!.url}
    bearer.example.com: ${vendors['webhook']!.url}
sources:
  - { id: web, write_key: ${writeKey} }
integrations:
  - id: leanplum
    plugin: "@signal/leanplum"
    settings: { app_id: app_planted, client_key: \${LP_KEY} }
    retry: { max_attempts: 1, min_window_ms: 0 }
  - id: clevertap
    plugin: "@signal/clevertap"
    settings: { account_id: PLANTED-000-ACCT, passcode: \${CT_PASSCODE}, region: us1 }
    retry: { max_attempts: 1, min_window_ms: 0 }
  - id: launchdarkly
    plugin: "@signal/launchdarkly"
    settings: { access_token: ${secrets.launchdarklyToken}, project_key: default, environment_key: production }
    retry: { max_attempts: 1, min_window_ms: 0 }
  - id: webhook
    plugin: "@signal/webhook"
    settings:
      url: "https://hookuser:${secrets.webhookPassword}@hooks.example.com/signal?key=${secrets.webhookKey}&token=${secrets.webhookToken}&code=${secrets.webhookCode}&page=1"
      headers: { X-Auth: ${secrets.xAuth}, X-Custom-Auth: ${secrets.xCustomAuth}, X-Api-Key: ${secrets.xApiKey} }
    retry: { max_attempts: 1, min_window_ms: 0 }
  - id: bearer-hook
    plugin: "@signal/webhook"
    settings:
      url: "https://bearer.example.com/in"
      headers: { Authorization: "Bearer ${secrets.bearerHeader}" }
    retry: { max_attempts: 1, min_window_ms: 0 }
pipelines:
  - { id: main, sources: [web], integrations: [leanplum, clevertap, launchdarkly, webhook, bearer-hook] }
`;
}

const built = existsSync(cli);
const env = { LP_KEY: secrets.leanplumClientKey, CT_PASSCODE: secrets.clevertapPasscode, LOG_LEVEL: 'debug' };

interface Deployment {
  dir: string;
  config: string;
  url: string;
  runner: StartedCli;
  /** The admin token `signal start` generated in the data directory. */
  token: string | undefined;
}

async function deploy(vendors: Record<string, FakeVendor>, storage: string): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'signal-secrets-'));
  linkWorkspacePlugins(dir);
  const port = await freePort();
  const config = join(dir, 'signal.config.yaml');
  writeFileSync(config, configText(vendors, port, storage));
  const runner = startCli(['-c', config], env);
  await runner.waitFor(/signal runner started/);
  const tokenFile = join(dir, 'data', 'admin-token');
  const token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined;
  return { dir, config, url: `http://127.0.0.1:${port}`, runner, token };
}

const auth = (d: Deployment): Record<string, string> => (d.token === undefined ? {} : { authorization: `Bearer ${d.token}` });

async function sendEvents(d: Deployment, prefix: string): Promise<string[]> {
  const ids = [`${prefix}-order`, `${prefix}-identify`, `${prefix}-fail`];
  const batch = [
    { type: 'track', event: 'Order Completed', userId: 'u-planted', messageId: ids[0], properties: { order_id: 'o-1', revenue: 10, currency: 'EUR' } },
    { type: 'identify', userId: 'u-planted', messageId: ids[1], traits: { email: 'u@example.com' } },
    { type: 'track', event: 'Order Completed', userId: 'u-fail', messageId: ids[2], properties: { order_id: 'o-2', revenue: 5, currency: 'EUR' } },
  ];
  const res = await fetch(`${d.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
  const final = new Set(['delivered', 'rejected', 'dropped', 'dead']);
  for (const id of ids) {
    await eventually(async () => {
      const r = await fetch(`${d.url}/api/events/${id}`, { headers: auth(d) });
      if (r.status !== 200) return undefined;
      const detail = (await r.json()) as EventDetail;
      return detail.deliveries.length === 5 && detail.deliveries.every((x) => final.has(x.state)) ? true : undefined;
    }, `${id} to settle`);
  }
  return ids;
}

/** Every admin answer a client can get, with the admin token. */
async function adminAnswers(d: Deployment, ids: string[]): Promise<[string, string][]> {
  const get = async (path: string) => [path, await (await fetch(`${d.url}${path}`, { headers: auth(d) })).text()] as [string, string];
  const out: [string, string][] = [];
  for (const path of ['/api/deliveries?limit=1000', '/api/deliveries?status=failed&limit=1000', '/api/integrations/paused', '/debugger/api/integrations', '/debugger/api/deliveries?limit=500', '/metrics']) out.push(await get(path));
  for (const id of ids) out.push(await get(`/api/events/${id}`), await get(`/debugger/api/events/${id}`));
  out.push([`/debugger?token=`, await (await fetch(`${d.url}/debugger?token=${d.token ?? ''}`)).text()]);
  const replay = await fetch(`${d.url}/api/replay`, { method: 'POST', headers: { ...auth(d), 'content-type': 'application/json' }, body: '{}' });
  out.push(['/api/replay', await replay.text()]);
  return out;
}

/** Opens the debugger's live stream and collects it until `stop` resolves. */
function collectStream(d: Deployment): { done(): Promise<string> } {
  const controller = new AbortController();
  let text = '';
  const reading = (async () => {
    const res = await fetch(`${d.url}/debugger/stream`, { headers: auth(d), signal: controller.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += value;
    }
  })().catch(() => undefined);
  return {
    async done() {
      controller.abort();
      await reading;
      return text;
    },
  };
}

describe.skipIf(!built)('no configured secret at rest or in any output', () => {
  const vendors: Record<string, FakeVendor> = {};

  beforeAll(async () => {
    vendors['leanplum'] = await startFakeVendor((req) => echo(req, { response: [{ success: true }] }));
    vendors['clevertap'] = await startFakeVendor((req) => {
      const records = req.json<{ d: unknown[] }>().d;
      // The event of u-fail is refused: its result text must not carry the echoed secrets either.
      const unprocessed = records.flatMap((r, i) => (JSON.stringify(r).includes('u-fail') ? [{ status: 'fail', code: 512, error: `bad record, passcode ${secrets.clevertapPasscode}`, record: r, index: i }] : []));
      return echo(req, { status: unprocessed.length > 0 ? 'partial' : 'success', processed: records.length - unprocessed.length, unprocessed });
    });
    vendors['launchdarkly'] = await startFakeVendor((req) => ({ ...echo(req, {}), status: 202 }));
    vendors['webhook'] = await startFakeVendor((req) => (req.body.includes('u-fail') ? { ...echo(req, { error: 'nope' }), status: 500 } : echo(req, { ok: true })));
  });
  afterAll(async () => {
    await Promise.all(Object.values(vendors).map((v) => v.close()));
  });

  it('SQLite: the file and its WAL, stdout/stderr at debug level, every admin answer, the stream, /metrics, the CLI', async () => {
    const found: string[] = [];
    const d = await deploy(vendors, '{ driver: sqlite, path: ./data/signal.db }');
    try {
      const stream = collectStream(d);
      await new Promise((r) => setTimeout(r, 200));
      const ids = await sendEvents(d, 'sq');
      // The vendors did receive the secrets: the plant is real.
      expect(vendors['leanplum']!.requests.some((r) => decodeURIComponent(r.path + r.body).includes(secrets.leanplumClientKey))).toBe(true);
      expect(vendors['webhook']!.requests.some((r) => r.path.includes(secrets.webhookCode) && r.headers['x-custom-auth'] === secrets.xCustomAuth)).toBe(true);

      for (const [path, text] of await adminAnswers(d, ids)) found.push(...hits(path, text));
      found.push(...hits('/debugger/stream', await stream.done()));

      // At rest while running: the database and its write-ahead log.
      for (const name of ['signal.db', 'signal.db-wal']) {
        const file = join(d.dir, 'data', name);
        if (existsSync(file)) found.push(...hits(name, readFileSync(file)));
      }
      const deliveries = await runCli(['deliveries', '-c', d.config, '--json', '--limit', '500'], env);
      expect(deliveries.code, deliveries.stderr).toBe(0);
      found.push(...hits('signal deliveries --json', deliveries.stdout + deliveries.stderr));
      for (const id of ['leanplum', 'clevertap', 'launchdarkly', 'webhook', 'bearer-hook']) {
        for (const extra of id === 'webhook' ? [[], ['--json'], ['--event', 'identify']] : [['--json']]) {
          const r = await runCli(['send-test', id, '-c', d.config, ...extra], env);
          expect(r.stdout.length, `send-test ${id}`).toBeGreaterThan(0);
          found.push(...hits(`signal send-test ${id} ${extra.join(' ')}`, r.stdout + r.stderr));
        }
      }
      await d.runner.stop();
      found.push(...hits('signal start stdout', d.runner.output().stdout), ...hits('signal start stderr', d.runner.output().stderr));
      expect(d.runner.output().stdout).toMatch(/"level":20|"level":30/);
      for (const name of ['signal.db', 'signal.db-wal']) {
        const file = join(d.dir, 'data', name);
        if (existsSync(file)) found.push(...hits(`${name} after stop`, readFileSync(file)));
      }
      // The attempt log is stored deflated (log-codec.ts), which a byte scan cannot read: its rows as the text they hold.
      const db = new Database(join(d.dir, 'data', 'signal.db'), { readonly: true });
      const logRows = db.prepare('SELECT id, records, exchanges FROM attempt_log').all() as { id: number; records: Buffer | string; exchanges: Buffer | string }[];
      db.close();
      expect(logRows.length).toBeGreaterThan(0);
      for (const r of logRows) {
        for (const column of [r.records, r.exchanges]) found.push(...hits(`attempt_log row ${r.id}`, typeof column === 'string' ? column : inflateRawSync(column).toString('utf8')));
      }
      expect(found).toEqual([]);
    } finally {
      await d.runner.stop();
      rmSync(d.dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('signal validate errors never print a planted value', async () => {
    const found: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'signal-secrets-validate-'));
    linkWorkspacePlugins(dir);
    try {
      const good = configText(vendors, 8080, '{ driver: sqlite, path: ./data/signal.db }');
      const broken = [
        // Settings the plugins refuse, next to planted secrets.
        good.replace('region: us1', 'region: mars').replace('project_key: default', 'project_key: ""').replace('client_key: ${LP_KEY}', `client_key: dev_${secrets.leanplumClientKey}`),
        good.replace('https://hookuser', 'ftp://hookuser').replace('X-Auth:', 'Content-Length:'),
        good.replace(`access_token: ${secrets.launchdarklyToken}`, `access_token: { nested: ${secrets.launchdarklyToken} }`),
        good.replace('  - id: leanplum\n', '  - id: leanplum\n    bogus_key: 1\n'),
        good.replace(`X-Api-Key: ${secrets.xApiKey} }`, `X-Api-Key: ${secrets.xApiKey} `),
        good.replace('client_key: ${LP_KEY}', 'client_key: ${MISSING_LP_KEY}'),
      ];
      for (const [i, text] of broken.entries()) {
        const file = join(dir, `broken-${i}.yaml`);
        writeFileSync(file, text);
        const r = await runCli(['validate', '-c', file], env);
        expect(r.code, `broken-${i}: ${r.stdout}`).toBe(1);
        expect(r.stderr, `broken-${i}`).toMatch(/problem/);
        found.push(...hits(`signal validate broken-${i}`, r.stdout + r.stderr));
      }
      const file = join(dir, 'good.yaml');
      writeFileSync(file, good);
      const ok = await runCli(['validate', '-c', file], env);
      expect(ok.code, ok.stderr).toBe(0);
      found.push(...hits('signal validate (ok)', ok.stdout + ok.stderr));
      expect(found).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(natsMissing)('NATS JetStream: every message of every stream, and the runner output', async () => {
    const found: string[] = [];
    const prefix = `S${randomBytes(5).toString('hex')}`;
    const d = await deploy(vendors, `{ driver: nats, servers: [${natsUrl}], stream_prefix: ${prefix} }`);
    const nc = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc);
    try {
      const ids = await sendEvents(d, 'nats');
      for (const [path, text] of await adminAnswers(d, ids)) found.push(...hits(`nats ${path}`, text));
      let messages = 0;
      for (const name of Object.values(streamNames(prefix).streams)) {
        const info = await jsm.streams.info(name).catch(() => undefined);
        if (info === undefined) continue;
        for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
          const m = await jsm.streams.getMessage(name, { seq }).catch(() => undefined);
          if (m === undefined || m === null) continue;
          messages++;
          found.push(...hits(`nats ${name}#${seq}`, Buffer.concat([Buffer.from(m.subject), Buffer.from(m.header?.toString() ?? ''), Buffer.from(m.data)])));
        }
      }
      expect(messages).toBeGreaterThan(10);
      await d.runner.stop();
      found.push(...hits('nats signal start stdout', d.runner.output().stdout), ...hits('nats signal start stderr', d.runner.output().stderr));
      expect(found).toEqual([]);
    } finally {
      await d.runner.stop();
      await deleteStreams(jsm, streamNames(prefix));
      await nc.close();
      rmSync(d.dir, { recursive: true, force: true });
    }
  }, 120_000);
});

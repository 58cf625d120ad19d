import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The release test's tools: a local npm registry, commands run as a user would, fake vendors. */

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws (the test asserts on the exit code and output). */
export function sh(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Fails with the command's output, so a CI log says what went wrong. */
export function ok(ran: Ran, what: string): Ran {
  if (ran.code !== 0) throw new Error(`${what} failed (exit ${ran.code})\n--- stdout\n${ran.stdout.slice(-4000)}\n--- stderr\n${ran.stderr.slice(-4000)}`);
  return ran;
}

export interface Registry {
  url: string;
  /** npm user config with the scopes routed here and a publish token. */
  npmrc: string;
  close(): Promise<void>;
}

/**
 * Verdaccio on 127.0.0.1 (any free port) with no uplinks: it serves only what
 * is published to it, so `@signal/*` (and the fixtures' `@acme/*`) can only
 * come from this release. Everything else comes from the npm registry npm is
 * configured for, as it would for a user.
 */
export async function startRegistry(dir: string): Promise<Registry> {
  const storage = join(dir, 'storage');
  mkdirSync(storage, { recursive: true });
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    `storage: ${JSON.stringify(storage)}
auth:
  htpasswd:
    file: ${JSON.stringify(join(dir, 'htpasswd'))}
    max_users: 10
uplinks: {}
packages:
  '@signal/*': { access: $all, publish: $authenticated }
  '@acme/*': { access: $all, publish: $authenticated }
  '**': { access: $all, publish: $authenticated }
log: { type: stdout, format: json, level: error }
max_body_size: 100mb
`,
  );
  // Verdaccio is a CommonJS package; its programmatic entry returns a Node http.Server.
  const { runServer } = createRequire(import.meta.url)('verdaccio') as { runServer(config: string): Promise<Server> };
  const server = await runServer(configFile);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const res = await fetch(`${url}/-/user/org.couchdb.user:release`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'release', password: 'release-test-password', type: 'user', roles: [] }),
  });
  const { token } = (await res.json()) as { token?: string };
  if (token === undefined) throw new Error(`verdaccio refused to create the publish user (HTTP ${res.status})`);
  // The machine's own npm settings (e.g. nodedir for native addons) plus the routes to this registry.
  const userConfig = process.env['NPM_CONFIG_USERCONFIG'] ?? process.env['npm_config_userconfig'] ?? join(homedir(), '.npmrc');
  const inherited = existsSync(userConfig) ? `${readFileSync(userConfig, 'utf8')}\n` : '';
  const npmrc = join(dir, 'npmrc');
  const hostPath = url.replace(/^http:/, '');
  writeFileSync(npmrc, `${inherited}@signal:registry=${url}/\n@acme:registry=${url}/\n${hostPath}/:_authToken=${token}\nfund=false\naudit=false\nupdate-notifier=false\n`);
  return {
    url,
    npmrc,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A fake vendor on 127.0.0.1: records each request and answers 200 with `answer(request)`. */
export async function fakeVendor(answer: (req: Recorded) => unknown): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(recorded)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `signal start` as a child process; resolves once its log says it listens (port 0: any free port). */
export async function startSignal(bin: string, config: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess; output: () => string; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, 'start', '-c', config, '--port', '0'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`signal start did not report its port:\n${output}`)), 60_000);
    const onData = (c: Buffer) => {
      output += c.toString();
      const started = output.split('\n').find((l) => l.includes('"signal runner started"'));
      if (started !== undefined) {
        clearTimeout(timer);
        resolve((JSON.parse(started) as { port: number }).port);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`signal start exited (${code}):\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.on('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

/** Polls until `check` returns a value; fails only if it never does (not a timing assertion). */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

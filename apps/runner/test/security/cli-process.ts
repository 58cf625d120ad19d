import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/** The built CLI (the tests run what users run). */
export const cli = resolve(import.meta.dirname, '../../dist/cli.js');

export const freePort = () =>
  new Promise<number>((r) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => r(port));
    });
  });

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const execFileP = promisify(execFile);

/** One CLI command to completion; a non-zero exit is a result, not a throw. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export interface StartedCli {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Resolves once a stdout line matches (the test fails if the process exits first). */
  waitFor(pattern: RegExp): Promise<string>;
  stop(): Promise<void>;
}

/** `signal start` as a child process, its output collected. */
export function startCli(args: string[], env: Record<string, string> = {}): StartedCli {
  const child = spawn(process.execPath, [cli, 'start', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    waitFor: (pattern) =>
      new Promise((res, rej) => {
        const check = () => {
          const line = stdout.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) {
            waiters.delete(check);
            res(line);
          }
        };
        child.once('exit', (code) => rej(new Error(`signal start exited (${code}) before printing ${pattern}: ${stdout}${stderr}`)));
        waiters.add(check);
        check();
      }),
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

import { SignalError } from '@signal/core';
import { InvalidArgumentError } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile, type LoadedConfig } from '../config/load.js';

export const defaultConfigFile = 'signal.config.yaml';

/**
 * Exit codes, the same for every command (README "CLI"):
 * 0 done; 1 the command ran and found a problem (invalid config, a runner
 * that cannot start or be reached, a test event not delivered);
 * 2 the command line itself is wrong (unknown command or option, bad flag value).
 */
export const exitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** The command line is wrong (a flag's value, a combination of flags). Exit 2. */
export class UsageError extends SignalError {
  readonly kind = 'usage';
}

/** System errors a user can fix (a path, a permission, an address), told without a stack trace. */
const userFixable: Record<string, string> = {
  ENOENT: 'check the path',
  EACCES: 'check the permissions',
  EPERM: 'check the permissions',
  EROFS: 'the file system is read-only; pick another path',
  ENOSPC: 'the disk is full',
  EADDRINUSE: 'another process uses this address; stop it or pick another port',
  EADDRNOTAVAIL: 'this host address is not on this machine; check server.host',
  ECONNREFUSED: 'nothing listens there; start the runner or check the URL',
  ENOTFOUND: 'the host name does not resolve; check the URL',
  SQLITE_CANTOPEN: "check storage.path and its directory's permissions",
  SQLITE_READONLY: "the SQLite file is read-only; check its permissions",
};

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Prints what went wrong and exits: never a stack trace for an expected failure. */
export function fail(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(exitCode.failed);
  }
  const kind = (error as { kind?: unknown } | null)?.kind;
  const message = error instanceof Error ? error.message : String(error);
  if (kind === 'usage') {
    process.stderr.write(`signal: ${message}\n(see signal --help, or signal <command> --help)\n`);
    process.exit(exitCode.usage);
  }
  if (error instanceof Error && typeof kind === 'string') {
    process.stderr.write(`signal: ${message}\n`);
    process.exit(exitCode.failed);
  }
  const code = codeOf(error);
  if (code !== undefined && userFixable[code] !== undefined) {
    process.stderr.write(`signal: ${message}. Fix: ${userFixable[code]}\n`);
    process.exit(exitCode.failed);
  }
  // Not a user mistake: a bug in Signal or a plugin. The stack helps the bug report.
  process.stderr.write(`signal: unexpected error (please report it): ${error instanceof Error ? (error.stack ?? message) : message}\n`);
  process.exit(exitCode.failed);
}

export async function loadOrFail(file: string): Promise<LoadedConfig> {
  try {
    return await loadConfigFile(file);
  } catch (error) {
    fail(error);
  }
}

/** Flag parser for whole numbers in a range: `--port abc` is a usage error naming the flag, not NaN. */
export function integerFlag(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/**
 * Stops gracefully on SIGINT/SIGTERM (in-flight deliveries finish, what is held is given back, the
 * spool closes), then exits 0. Bounded: past `boundMs` (+ a little for closing files) the process
 * exits 1 and says so; a second signal exits at once (130). Nothing accepted is lost either way:
 * jobs in flight stay leased in the spool and come back on the next start.
 */
export function stopOnSignals(stop: () => Promise<void>, options: { boundMs: number; log: (msg: string, fields?: object) => void }): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      options.log(`second signal (${signal}): exiting now; jobs in flight stay in the spool and are delivered on the next start`, { signal });
      process.exit(130);
    }
    stopping = true;
    options.log(`stopping (${signal}); at most ${Math.ceil(options.boundMs / 1000)} s. Send it again to exit at once`, { signal });
    const deadline = setTimeout(() => {
      options.log(`did not stop within ${Math.ceil(options.boundMs / 1000)} s; exiting. Jobs in flight stay in the spool and are delivered on the next start`, {});
      process.exit(1);
    }, options.boundMs + 2_000);
    deadline.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => fail(error),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

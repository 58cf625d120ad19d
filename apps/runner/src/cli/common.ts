import { SignalError } from '@signal/core';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile, type LoadedConfig } from '../config/load.js';

export const defaultConfigFile = 'signal.config.yaml';

/** A command line that cannot work as given (bad flag value); printed without a stack. */
export class UsageError extends SignalError {
  readonly kind = 'usage';
}

/** Prints a typed error's message (never a stack for expected failures) and exits 1. */
export function fail(error: unknown): never {
  const kind = (error as { kind?: string } | null)?.kind;
  if (error instanceof Error && kind !== undefined) process.stderr.write(`signal: ${error.message}\n`);
  else process.stderr.write(`signal: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}

export async function loadOrFail(file: string): Promise<LoadedConfig> {
  try {
    return await loadConfigFile(file);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    fail(error);
  }
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

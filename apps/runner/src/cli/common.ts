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

/** Stops gracefully on SIGINT/SIGTERM (in-flight deliveries finish, the spool closes), then exits. */
export function stopOnSignals(stop: () => Promise<void>, onSignal?: (signal: string) => void): void {
  const shutdown = (signal: string) => {
    onSignal?.(signal);
    stop().then(
      () => process.exit(0),
      (error: unknown) => fail(error),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

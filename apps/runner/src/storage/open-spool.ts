import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../config/config-error.js';
import { openSqliteSpool } from '../spool/sqlite.js';
import type { Spool } from '../spool/types.js';

/** Opens the spool the config's `storage.driver` names. */
export async function openSpool(loaded: LoadedConfig): Promise<Spool> {
  const storage = loaded.config.storage;
  if (storage.driver === 'sqlite') {
    return openSqliteSpool({ path: loaded.sqlitePath! });
  }
  throw new ConfigError(loaded.file, [
    { path: 'storage.driver', message: 'the "nats" spool is not available in this build yet. Fix: use driver: sqlite (one process) for now' },
  ]);
}

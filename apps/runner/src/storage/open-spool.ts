import type { LoadedConfig } from '../config/load.js';
import { openSqliteSpool } from '../spool/sqlite.js';
import type { Spool } from '../spool/types.js';

/** Opens the spool the config's `storage.driver` names. */
export async function openSpool(loaded: LoadedConfig): Promise<Spool> {
  const storage = loaded.config.storage;
  if (storage.driver === 'sqlite') {
    return openSqliteSpool({ path: loaded.sqlitePath! });
  }
  // Loaded on demand: SQLite users never load the NATS client.
  const { openNatsSpool } = await import('../spool/nats.js');
  const { driver: _driver, ...options } = storage;
  return openNatsSpool(options as Parameters<typeof openNatsSpool>[0]);
}

import type { LoadedConfig } from '../config/load.js';
import { openSqliteSpool } from '../spool/sqlite.js';
import type { Spool } from '../spool/types.js';

/** Opens the spool the config's `storage.driver` names. */
export async function openSpool(loaded: LoadedConfig): Promise<Spool> {
  const storage = loaded.config.storage;
  if (storage.driver === 'sqlite') {
    const window = storage.dedupe_window;
    return openSqliteSpool({
      path: loaded.sqlitePath!,
      dedupe: {
        ...(window?.hours === undefined ? {} : { windowMs: window.hours * 3_600_000 }),
        ...(window?.max_ids === undefined ? {} : { maxIds: window.max_ids }),
      },
    });
  }
  // Loaded on demand: SQLite users never load the NATS client.
  const { openNatsSpool } = await import('../spool/nats.js');
  const { driver: _driver, ...options } = storage;
  return openNatsSpool(options as Parameters<typeof openNatsSpool>[0]);
}

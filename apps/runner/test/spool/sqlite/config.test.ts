import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load.js';
import { openSpool } from '../../../src/storage/open-spool.js';
import { makeEvent } from '../contract.js';

let tmp = '';
afterEach(() => rmSync(tmp, { recursive: true, force: true }));
const configWith = (storage: string) => {
  tmp = mkdtempSync(join(tmpdir(), 'signal-dedupe-config-'));
  const file = join(tmp, 'signal.config.yaml');
  writeFileSync(file, `storage: ${storage}\nsources: [ { id: web, write_key: write-key-123 } ]\n`);
  return file;
};

describe('storage.dedupe_window (sqlite)', () => {
  it('bounds the window the spool dedupes over', async () => {
    const loaded = await loadConfigFile(configWith('{ driver: sqlite, path: ./data/signal.db, dedupe_window: { hours: 1, max_ids: 2 } }'));
    const spool = await openSpool(loaded);
    const [a, b, c] = [makeEvent('u1'), makeEvent('u2'), makeEvent('u3')];
    const add = async (e: typeof a) => (await spool.append([{ event: e, integrations: [], source: 'web' }])).outcomes[0];
    for (const e of [a, b, c]) expect(await add(e)).toBe('stored');
    expect(await add(c)).toBe('duplicate');
    expect(await add(a)).toBe('stored');
    await spool.close();
  });

  it('says what is wrong with a bad value', async () => {
    await expect(loadConfigFile(configWith('{ driver: sqlite, dedupe_window: { max_ids: 0 } }'))).rejects.toThrow(/dedupe_window\.max_ids/);
    await expect(loadConfigFile(configWith('{ driver: sqlite, dedupe_window: { days: 1 } }'))).rejects.toThrow(/dedupe_window/);
  });
});

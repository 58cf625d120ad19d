import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteSpool } from '../../../src/spool/sqlite.js';
import { keyBucketSize } from '../../../src/spool/sqlite/schema.js';
import { makeEvent } from '../contract.js';

let tmp = '';
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('sqlite lookup of events by message id (event_keys runs + tail)', () => {
  it('finds events in indexed runs and in the unindexed tail, by source, after a restart and once deduped ids are forgotten', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'signal-keys-'));
    const path = join(tmp, 'spool.db');
    // A tiny dedupe window, so lookups cannot lean on it.
    let spool = openSqliteSpool({ path, dedupe: { maxIds: 10 } });
    const total = keyBucketSize * 2 + 100;
    const events = Array.from({ length: total }, (_, i) => makeEvent(`u${i % 50}`));
    for (let i = 0; i < total; i += 500) await spool.append(events.slice(i, i + 500).map((event) => ({ event, integrations: ['a'], source: 'web' })));
    const shared = events[10]!;
    await spool.append([{ event: { ...makeEvent('other'), message_id: shared.message_id }, integrations: ['a'], source: 'ios' }]);
    const probe = async (i: number) => (await spool.event(events[i]!.message_id))?.event.message_id;
    for (const i of [0, 1, keyBucketSize - 1, keyBucketSize, keyBucketSize * 2 - 1, keyBucketSize * 2, total - 1]) expect(await probe(i)).toBe(events[i]!.message_id);
    expect((await spool.event(shared.message_id))!.source).toBe('ios');
    expect((await spool.event(shared.message_id, 'web'))!.event.user_id).toBe(shared.user_id);
    expect(await spool.event('no-such-id')).toBeUndefined();
    await spool.close();

    const db = new Database(path, { readonly: true });
    // Two complete runs indexed, the rest is tail.
    expect((db.prepare('SELECT COUNT(*) AS n FROM event_keys').get() as { n: number }).n).toBe(keyBucketSize * 2 - 1);
    db.close();

    spool = openSqliteSpool({ path, dedupe: { maxIds: 10 } });
    expect(await probe(5)).toBe(events[5]!.message_id);
    expect(await spool.replay({ state: 'pending', messageIds: [events[5]!.message_id] })).toBe(1);
    await spool.close();
  });
});

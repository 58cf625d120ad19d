import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@signal/core';
import { describe, expect, it } from 'vitest';
import { openSqliteSpool } from '../../src/spool/sqlite.js';
import { startRetention } from '../../src/storage/retention.js';
import { makeEvent } from './contract.js';

describe('delivery log retention', () => {
  it('sweeps finished jobs older than the window on start, page after page, and leaves open and recent ones', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'signal-retention-'));
    const day = 86_400_000;
    let t = 100 * day;
    const spool = openSqliteSpool({ path: join(tmp, 'spool.db'), now: () => t });
    const events = [makeEvent('u1'), makeEvent('u2'), makeEvent('u3')];
    await spool.append(events.map((event) => ({ event, integrations: ['a'], source: 'web' })));
    const [old1, old2] = await spool.claim('a', { limit: 2, now: t, leaseMs: 60_000 });
    await spool.complete([old1!, old2!].map((job) => ({ job, state: 'delivered' as const, attempt: { at: t, result: { status: 'delivered' as const } } })));
    t += 8 * day;
    const lines: string[] = [];
    const stop = startRetention(spool, 7, { ...silentLogger, info: (_o, msg) => void lines.push(msg ?? '') }, () => t);
    await expect.poll(() => lines.length).toBe(1);
    stop();
    expect(lines[0]).toContain('removed 2 finished jobs older than 7 days');
    expect((await spool.deliveries({ integration: 'a' })).map((d) => d.messageId)).toEqual([events[2]!.message_id]);
    await spool.close();
    rmSync(tmp, { recursive: true, force: true });
  });
});

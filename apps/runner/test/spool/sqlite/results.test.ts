import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Exchange } from '@signal/core';
import { openSqliteSpool } from '../../../src/spool/sqlite.js';
import type { Job } from '../../../src/spool/types.js';
import { makeEvent } from '../contract.js';

let tmp = '';
afterEach(() => rmSync(tmp, { recursive: true, force: true }));
const fresh = () => {
  tmp = mkdtempSync(join(tmpdir(), 'signal-results-'));
  return join(tmp, 'spool.db');
};
const exchange = (body: string): Exchange => ({ request: { method: 'POST', url: 'https://vendor.test/x', headers: {}, body }, response: { status: 200, headers: {}, body: '{}' }, durationMs: 2 });

describe('sqlite results and the attempt log', () => {
  it('a batch of outcomes is one attempt row, and every job still answers with its own attempt, payload and exchange', async () => {
    const path = fresh();
    const spool = openSqliteSpool({ path });
    const events = Array.from({ length: 300 }, (_, i) => makeEvent(`u${i}`));
    await spool.append(events.map((event) => ({ event, integrations: ['a'], source: 'web' })));
    const jobs = await spool.claim('a', { limit: 300, now: Date.now() + 1_000, leaseMs: 60_000 });
    const at = Date.now();
    const sent = exchange('{"d":[…]}');
    const other = exchange('{"d":[second request]}');
    await spool.complete(
      jobs.map((job, i) =>
        i % 3 === 0
          ? { job, state: 'retry' as const, retryAt: at + 60_000, attempt: { at, result: { status: 'retry' as const, reason: 'HTTP 503' }, exchange: other, payload: { n: i } } }
          : { job, state: 'delivered' as const, attempt: { at, result: { status: 'delivered' as const }, exchange: sent, payload: { n: i } } },
      ),
    );
    const db = new Database(path, { readonly: true });
    expect((db.prepare('SELECT COUNT(*) AS n FROM attempt_log').get() as { n: number }).n).toBe(1);
    // The 300 records are stored deflated (log-codec.ts), a fraction of their JSON; the two small exchanges stay text.
    const row = db.prepare('SELECT typeof(records) AS kind, records, exchanges FROM attempt_log').get() as { kind: string; records: Buffer; exchanges: string };
    expect(row.kind).toBe('blob');
    const records = inflateRawSync(row.records).toString('utf8');
    expect(row.records.length * 4).toBeLessThan(records.length);
    expect((JSON.parse(records) as unknown[]).length).toBe(300);
    expect(JSON.parse(row.exchanges)).toEqual([other, sent]);
    db.close();
    for (const i of [0, 1, 2, 299]) {
      const [d] = (await spool.event(events[i]!.message_id))!.deliveries;
      expect(d!.history).toEqual([
        i % 3 === 0
          ? { at, result: { status: 'retry', reason: 'HTTP 503' }, exchange: other, payload: { n: i } }
          : { at, result: { status: 'delivered' }, exchange: sent, payload: { n: i } },
      ]);
      expect(d!.state).toBe(i % 3 === 0 ? 'retry' : 'delivered');
    }
    await spool.close();
  });

  it('exchange bodies are kept up to maxExchangeBodyChars, saying how much was cut', async () => {
    const spool = openSqliteSpool({ path: fresh(), maxExchangeBodyChars: 10 });
    const e = makeEvent('u1');
    await spool.append([{ event: e, integrations: ['a'], source: 'web' }]);
    const [job] = await spool.claim('a', { limit: 1, now: Date.now() + 1_000, leaseMs: 60_000 });
    await spool.complete([{ job: job!, state: 'delivered', attempt: { at: 1, result: { status: 'delivered' }, exchange: exchange('x'.repeat(25)) } }]);
    const [d] = (await spool.event(e.message_id))!.deliveries;
    expect(d!.history[0]!.exchange!.request.body).toBe(`${'x'.repeat(10)}… [15 more characters not kept]`);
    await spool.close();
  });
});

describe('sqlite spool retention', () => {
  it('prune deletes old final jobs with their attempt rows, events and lookup keys, and keeps everything still needed', async () => {
    const path = fresh();
    let t = 1_000_000;
    const spool = openSqliteSpool({ path, now: () => t });
    const oldDone = makeEvent('u1');
    const shared = makeEvent('u2');
    const alsoDone = makeEvent('u3');
    await spool.append([
      { event: oldDone, integrations: ['a'], source: 'web' },
      { event: shared, integrations: ['a', 'b'], source: 'web' },
      { event: alsoDone, integrations: ['a'], source: 'web' },
    ]);
    const jobs = await spool.claim('a', { limit: 10, now: t, leaseMs: 60_000 });
    const done = (job: Job) => ({ job, state: 'delivered' as const, attempt: { at: t, result: { status: 'delivered' as const }, exchange: exchange('b') } });
    // Two batches: one attempt row each; the second row is shared by two jobs until both go.
    await spool.complete([done(jobs[0]!)]);
    await spool.complete([done(jobs[1]!), done(jobs[2]!)]);
    const [again] = await spool.claim('b', { limit: 10, now: t, leaseMs: 60_000 });
    t += 10_000;
    await spool.complete([done(again!)]);
    expect(await spool.prune({ before: t - 20_000 })).toBe(0);
    expect(await spool.prune({ before: t - 5_000, limit: 1 })).toBe(1);
    expect(await spool.prune({ before: t - 5_000 })).toBe(2);
    expect(await spool.prune({ before: t - 5_000 })).toBe(0);
    // Still found: the shared event has its job in b.
    expect((await spool.event(shared.message_id))!.deliveries.map((d) => d.integration)).toEqual(['b']);
    expect(await spool.event(oldDone.message_id)).toBeUndefined();
    await spool.close();
    // Oracle: the file itself.
    const db = new Database(path, { readonly: true });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(db.prepare('SELECT message_id FROM events ORDER BY seq').all().map((r) => (r as { message_id: string }).message_id)).toEqual([shared.message_id]);
    expect(count(`SELECT COUNT(*) AS n FROM jobs`)).toBe(1);
    expect(count(`SELECT COUNT(*) AS n FROM attempt_log`)).toBe(1);
    expect(count(`SELECT refs AS n FROM attempt_log`)).toBe(1);
    db.close();
  });
});

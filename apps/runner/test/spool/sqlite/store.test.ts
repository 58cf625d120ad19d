import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Request, Response } from '../../../src/spool/sqlite/protocol.js';
import { packLog } from '../../../src/spool/sqlite/log-codec.js';
import { openStore } from '../../../src/spool/sqlite/store.js';

/** The store without its thread: the batch rules of the writer (group commit, order, isolation of a failure). */
let tmp = '';
afterEach(() => rmSync(tmp, { recursive: true, force: true }));
const open = () => {
  tmp = mkdtempSync(join(tmpdir(), 'signal-store-'));
  return openStore({ path: join(tmp, 'spool.db'), dedupe: { windowMs: 3_600_000, maxIds: 1000 } });
};
/** Every job is on disk, as far as these claims know. */
const all = Number.MAX_SAFE_INTEGER;
const event = (id: string, source: string | null = 'web') => [id, source, 'u1', 'track', 'Viewed', `{"message_id":${JSON.stringify(id)}}`, '', 0, 'a'] as (string | number | null)[];
/** Every reply of a batch; appends are answered once their sync is done (wal-sync.ts), after process() returns. */
const run = (store: ReturnType<typeof openStore>, requests: Request[]) =>
  new Promise<Response[][]>((resolve) => {
    const replies: Response[][] = [];
    let answered = 0;
    store.process(requests, (r) => {
      replies.push(r);
      answered += r.length;
      if (answered === requests.length) resolve(replies);
    });
  });

describe('sqlite store batches', () => {
  it('claims, results and reads of a batch run first, in order; then all its appends share one transaction, answered together', async () => {
    const store = open();
    await run(store, [{ op: 'append', id: 1, at: 1, events: event('m0') }]);
    const replies = (await run(store, [
      { op: 'backlog', id: 2 },
      { op: 'append', id: 3, at: 1, events: event('m1') },
      { op: 'claim', id: 4, integration: 'a', limit: 10, now: 10, leaseMs: 1000, durableJobId: all },
      { op: 'append', id: 5, at: 1, events: [...event('m2'), ...event('m1')] },
      { op: 'backlog', id: 6 },
    ]));
    expect(store.appendTransactions).toBe(2);
    expect(replies.map((r) => r.map((x) => x.id))).toEqual([[2], [4], [6], [3, 5]]);
    expect(replies[3]!.map((r) => (r.ok ? r.value : r.error))).toEqual(['s', 'sd']);
    // The claim ran before this batch's group commit: it got the one event stored before.
    expect((replies[1]![0] as { value: unknown[] }).value.length).toBe(8);
    expect((await run(store, [{ op: 'backlog', id: 7 }]))[0]![0]).toMatchObject({ value: 3 });
    store.close();
  });

  it('a claim takes no job above the durable job id it is given (appends the front has not seen synced)', async () => {
    const store = open();
    const stored = (await run(store, [{ op: 'append', id: 1, at: 1, events: [...event('m1'), ...event('m2')] }]))[0]![0];
    const lastJobId = (stored as { lastJobId: number }).lastJobId;
    const claim = async (id: number, durableJobId: number) =>
      ((await run(store, [{ op: 'claim', id, integration: 'a', limit: 10, now: 10, leaseMs: 1000, durableJobId }]))[0]![0] as { value: unknown[] }).value;
    expect(await claim(2, lastJobId - 2)).toEqual([]);
    expect((await run(store, [{ op: 'nextDueAt', id: 3, integration: 'a', durableJobId: lastJobId - 2 }]))[0]![0]).toMatchObject({ value: undefined });
    // The first job is on disk: it is claimed; the second (same user, not on disk) waits.
    expect((await claim(4, lastJobId - 1)).length).toBe(8);
    store.close();
  });

  it('an append that fails in SQL fails alone: the others of its batch are committed one by one', async () => {
    const store = open();
    const replies = (await run(store, [
      { op: 'append', id: 1, at: 1, events: event('good-1') },
      { op: 'append', id: 2, at: 1, events: event('bad', null) },
      { op: 'append', id: 3, at: 1, events: event('good-2') },
    ])).flat();
    expect(replies.map((r) => r.ok)).toEqual([true, false, true]);
    expect((replies[1] as { error: string }).error).toMatch(/NOT NULL/);
    // The failed transaction's ids were forgotten by the dedupe window; the good ones were not.
    const again = (await run(store, [{ op: 'append', id: 4, at: 2, events: [...event('good-1'), ...event('good-2'), ...event('good-3')] }])).flat();
    expect(again[0]).toMatchObject({ ok: true, value: 'dds' });
    store.close();
  });

  it('results next to each other share one transaction, each with its own attempt row; one that fails in SQL fails alone', async () => {
    const store = open();
    await run(store, [{ op: 'append', id: 1, at: 1, events: [...event('r1'), ...event('r2'), ...event('r3')] }]);
    const claimed = (await run(store, [{ op: 'claim', id: 2, integration: 'a', limit: 10, now: 10, leaseMs: 60_000, durableJobId: all }]))[0]![0] as { value: (string | number | null)[] };
    const [j1, j2, j3] = [0, 1, 2].map((i) => claimed.value[i * 8] as number);
    const done = (id: number, jobId: number, state: string | null = 'delivered'): Request => ({
      op: 'complete',
      id,
      at: 20,
      records: packLog(['{"at":20,"result":{"status":"delivered"}}']),
      exchanges: packLog([]),
      updates: [jobId, state, 20, null, '{"status":"delivered"}', null],
    });
    const before = store.resultTransactions;
    const replies = (await run(store, [done(3, j1!), done(4, j2!), { op: 'stats', id: 5, at: 30 }, done(6, j3!)])).flat();
    expect(replies.map((r) => r.id)).toEqual([3, 4, 5, 6]);
    expect(store.resultTransactions - before).toBe(2);
    // The stats between them saw the first two recorded (order kept) and the third still in flight.
    expect((replies[2] as { value: unknown }).value).toMatchObject([{ integration: 'a', byState: { delivered: 2, inflight: 1 } }]);

    // A bad one (no state: NOT NULL) among good ones: the good ones are recorded, the bad one's job stays leased.
    await run(store, [{ op: 'append', id: 7, at: 1, events: [...event('r4'), ...event('r5')] }]);
    const more = (await run(store, [{ op: 'claim', id: 8, integration: 'a', limit: 10, now: 40, leaseMs: 60_000, durableJobId: all }]))[0]![0] as { value: (string | number | null)[] };
    const [j4, j5] = [0, 1].map((i) => more.value[i * 8] as number);
    const mixed = (await run(store, [done(9, j4!, null), done(10, j5!)])).flat();
    expect(mixed.map((r) => r.ok)).toEqual([false, true]);
    expect((mixed[0] as { error: string }).error).toMatch(/NOT NULL/);
    const stats = (await run(store, [{ op: 'stats', id: 11, at: 50 }]))[0]![0] as { value: unknown };
    expect(stats.value).toMatchObject([{ integration: 'a', byState: { delivered: 4, inflight: 1 } }]);
    store.close();
  });
});

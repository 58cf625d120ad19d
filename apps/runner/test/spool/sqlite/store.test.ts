import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Request, Response } from '../../../src/spool/sqlite/protocol.js';
import { openStore } from '../../../src/spool/sqlite/store.js';

/** The store without its thread: the batch rules of the writer (group commit, order, isolation of a failure). */
let tmp = '';
afterEach(() => rmSync(tmp, { recursive: true, force: true }));
const open = () => {
  tmp = mkdtempSync(join(tmpdir(), 'signal-store-'));
  return openStore({ path: join(tmp, 'spool.db'), dedupe: { windowMs: 3_600_000, maxIds: 1000 } });
};
const event = (id: string, source: string | null = 'web') => [id, source, 'u1', 'track', 'Viewed', `{"message_id":${JSON.stringify(id)}}`, '', 0, 'a'] as (string | number | null)[];
const run = (store: ReturnType<typeof openStore>, requests: Request[]) => {
  const replies: Response[][] = [];
  store.process(requests, (r) => replies.push(r));
  return replies;
};

describe('sqlite store batches', () => {
  it('claims, results and reads of a batch run first, in order; then all its appends share one transaction, answered together', () => {
    const store = open();
    run(store, [{ op: 'append', id: 1, at: 1, events: event('m0') }]);
    const replies = run(store, [
      { op: 'backlog', id: 2 },
      { op: 'append', id: 3, at: 1, events: event('m1') },
      { op: 'claim', id: 4, integration: 'a', limit: 10, now: 10, leaseMs: 1000 },
      { op: 'append', id: 5, at: 1, events: [...event('m2'), ...event('m1')] },
      { op: 'backlog', id: 6 },
    ]);
    expect(store.appendTransactions).toBe(2);
    expect(replies.map((r) => r.map((x) => x.id))).toEqual([[2], [4], [6], [3, 5]]);
    expect(replies[3]!.map((r) => (r.ok ? r.value : r.error))).toEqual(['s', 'sd']);
    // The claim ran before this batch's group commit: it got the one event stored before.
    expect((replies[1]![0] as { value: unknown[] }).value.length).toBe(8);
    expect(run(store, [{ op: 'backlog', id: 7 }])[0]![0]).toMatchObject({ value: 3 });
    store.close();
  });

  it('an append that fails in SQL fails alone: the others of its batch are committed one by one', () => {
    const store = open();
    const replies = run(store, [
      { op: 'append', id: 1, at: 1, events: event('good-1') },
      { op: 'append', id: 2, at: 1, events: event('bad', null) },
      { op: 'append', id: 3, at: 1, events: event('good-2') },
    ]).flat();
    expect(replies.map((r) => r.ok)).toEqual([true, false, true]);
    expect((replies[1] as { error: string }).error).toMatch(/NOT NULL/);
    // The failed transaction's ids were forgotten by the dedupe window; the good ones were not.
    const again = run(store, [{ op: 'append', id: 4, at: 2, events: [...event('good-1'), ...event('good-2'), ...event('good-3')] }]).flat();
    expect(again[0]).toMatchObject({ ok: true, value: 'dds' });
    store.close();
  });
});

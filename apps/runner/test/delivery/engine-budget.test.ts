import { afterEach, expect, it } from 'vitest';
import { makeEvent } from '../spool/contract.js';
import { eventually, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const inflight = async (): Promise<number> => (await h!.spool.stats()).reduce((n, s) => n + (s.byState.inflight ?? 0), 0);

it('holds at most maxRecordsInFlight claimed jobs, even with free request slots (memory bound while a backlog drains)', async () => {
  // Batches of 3, 4 slots: without the budget one claim would lease 12 jobs; the budget of 6 allows 2 full batches.
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const seen: number[] = [];
  h = await startHarness({
    settings: { batch: 3, concurrency: 4 },
    maxRecordsInFlight: 6,
    handler: async () => {
      seen.push(await inflight());
      await gate;
      return { status: 200, body: {} };
    },
  });
  const events = Array.from({ length: 30 }, (_, i) => makeEvent(`user-${i}`));
  await h.append(events);
  h.engine.start();

  // The vendor holds both requests: the lane has used its budget and must not claim more.
  await eventually(() => expect(seen).toHaveLength(2));
  expect(await inflight()).toBe(6);
  expect(seen.every((n) => n <= 6)).toBe(true);

  open();
  await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(30));
  expect(Math.max(...seen)).toBeLessThanOrEqual(6);
  expect(Math.max(...h.vendor.requests.map((r) => r.concurrent))).toBeLessThan(2);
  expect(h.batches().map((b) => b.length)).toEqual(Array.from({ length: 10 }, () => 3));
  expect(await inflight()).toBe(0);
});

import { afterEach, describe, expect, it } from 'vitest';
import { makeEvent } from '../spool/contract.js';
import { eventually, startHarness, type Harness } from './harness.js';
import { batchIdDestination } from './test-destination.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const stateOf = async (messageId: string) => (await h!.spool.event(messageId))!.deliveries[0]!;
const ok = { status: 200, body: {} };

describe('delivery engine: batch capabilities', () => {
  it('idempotent batches: an attempt without a definite answer is retried as the same records with the same batch id, newer events sent apart', async () => {
    h = await startHarness({ destination: batchIdDestination, settings: { batch: 3, concurrency: 1 }, handler: (_req, i) => (i === 0 ? { fault: 'reset' } : ok) });
    const first = [makeEvent('u1'), makeEvent('u2'), makeEvent('u3')];
    await h.append(first);
    h.engine.start();
    await eventually(async () => expect((await stateOf(first[0]!.message_id)).state).toBe('retry'));
    // New events arrive while the batch waits to retry; they are due before it (a re-chunk would mix them in).
    const later = [makeEvent('u4'), makeEvent('u5')];
    await h.append(later);
    h.clock.advance(10_000);
    h.engine.wake();
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(5));
    const requests = h.vendor.requests.map((r) => ({ ids: r.json<{ records: { id: string }[] }>().records.map((x) => x.id), batchId: r.headers['x-batch-id'] }));
    const retried = requests.slice(1).find((r) => r.ids.includes(first[0]!.message_id))!;
    expect(retried.ids).toEqual(first.map((e) => e.message_id));
    expect(retried.batchId).toBe(requests[0]!.batchId);
    expect(requests.slice(1).flatMap((r) => r.ids).sort()).toEqual([...first, ...later].map((e) => e.message_id).sort());
  });

  it('idempotent batches: 5xx twice, then accepted: every attempt carries the same records and batch id, with newer events arriving between', async () => {
    const first = [makeEvent('u1'), makeEvent('u2'), makeEvent('u3')];
    let failures = 0;
    h = await startHarness({
      destination: batchIdDestination,
      settings: { batch: 3, concurrency: 1 },
      handler: (req) => (req.body.includes(first[0]!.message_id) && failures++ < 2 ? { status: 503 } : ok),
    });
    await h.append(first);
    h.engine.start();
    for (let round = 0; round < 2; round++) {
      await eventually(async () => expect(failures).toBe(round + 1));
      await eventually(async () => expect((await stateOf(first[2]!.message_id)).state).toBe('retry'));
      await h.append([makeEvent(`v${round}a`), makeEvent(`v${round}b`)]);
      h.clock.advance(60_000);
      h.engine.wake();
    }
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(7));
    const withFirst = h.vendor.requests.filter((r) => r.body.includes(first[0]!.message_id));
    expect(withFirst.map((r) => r.json<{ records: { id: string }[] }>().records.map((x) => x.id))).toEqual([0, 1, 2].map(() => first.map((e) => e.message_id)));
    expect(new Set(withFirst.map((r) => r.headers['x-batch-id'])).size).toBe(1);
    expect((await stateOf(first[0]!.message_id)).attempts).toBe(3);
  });

  it('bisect: a batch the vendor rejects as a whole for one bad record is split until only that record is rejected', async () => {
    h = await startHarness({
      destination: batchIdDestination,
      settings: { batch: 8, concurrency: 1 },
      handler: (req) => (req.json<{ records: { props: { bad?: boolean } }[] }>().records.some((r) => r.props.bad === true) ? { status: 400, body: { message: 'malformed event' } } : ok),
    });
    const events = Array.from({ length: 8 }, (_, i) => makeEvent(`u${i}`, { properties: i === 5 ? { bad: true } : { n: i } }));
    await h.append(events);
    h.engine.start();
    await eventually(async () => expect((await h!.spool.stats())[0]!.depth).toBe(0));
    const states = await Promise.all(events.map(async (e) => (await stateOf(e.message_id)).state));
    expect(states).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'rejected', 'delivered', 'delivered']);
    const bad = await stateOf(events[5]!.message_id);
    expect(bad.lastResult).toMatchObject({ status: 'rejected' });
    expect(bad.attempts).toBe(1);
    // The rejected record's own request is its evidence in the delivery log.
    expect(bad.history[0]!.exchange!.request.body).toContain(events[5]!.message_id);
    expect(bad.history[0]!.exchange!.request.body).not.toContain(events[4]!.message_id);
  });

  it('the default retry policy survives a one-hour vendor outage: nothing dead-lettered, everything delivered after', async () => {
    let down = true;
    h = await startHarness({ retryDefaults: true, settings: { batch: 5 }, handler: () => (down ? { status: 503 } : ok) });
    const events = Array.from({ length: 20 }, (_, i) => makeEvent(`u${i}`));
    await h.append(events);
    h.engine.start();
    const start = h.clock.now();
    while (h.clock.now() - start < 3600_000) {
      h.clock.advance(20_000);
      h.engine.wake();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await h.spool.deliveries({ state: 'dead' })).toEqual([]);
    const tries = Math.max(...(await Promise.all(events.map(async (e) => (await stateOf(e.message_id)).attempts))));
    expect(tries).toBeGreaterThan(10);
    down = false;
    for (let i = 0; i < 200 && (await h.spool.deliveries({ state: 'delivered' })).length < 20; i++) {
      h.clock.advance(60_000);
      h.engine.wake();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await h.spool.deliveries({ state: 'delivered' })).length).toBe(20);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { SpoolError } from '../../src/spool/errors.js';
import { makeEvent } from '../spool/contract.js';
import { SECRET, eventually, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('delivery engine: faults and limits', () => {
  it('a failed write of results loses nothing: the jobs come back when their lease expires', async () => {
    let failNext = true;
    h = await startHarness({
      wrapSpool: (spool) => ({
        ...spool,
        driver: spool.driver,
        async complete(updates) {
          if (failNext && updates.some((u) => u.state !== 'release')) {
            failNext = false;
            throw new SpoolError('disk I/O error');
          }
          return spool.complete(updates);
        },
      }),
    });
    const e = makeEvent('u1');
    await h.append([e]);
    h.engine.start();
    await eventually(() => expect(h!.logs.some((l) => l.level === 'error' && /recording delivery results/.test(l.msg ?? ''))).toBe(true));
    expect((await h.spool.event(e.message_id))!.deliveries[0]!.state).toBe('inflight');
    h.clock.advance(60_000);
    h.engine.wake();
    await eventually(async () => expect((await h!.spool.event(e.message_id))!.deliveries[0]!.state).toBe('delivered'));
    expect(h.vendor.requests).toHaveLength(2);
  });

  it('a plugin whose buildRequest throws with its key in the message: rejected (nothing sent), the key masked in logs and the delivery log', async () => {
    h = await startHarness({ settings: { leaky: true } });
    const e = makeEvent('u1');
    await h.append([e]);
    h.engine.start();
    const d = await eventually(async () => {
      const x = (await h!.spool.event(e.message_id))!.deliveries[0]!;
      expect(x.state).toBe('rejected');
      return x;
    });
    expect(d.lastResult).toMatchObject({ status: 'rejected', code: 'plugin_error', message: expect.stringContaining('key=[REDACTED]') });
    expect(h.vendor.requests).toHaveLength(0);
    expect(h.logs.some((l) => l.level === 'error')).toBe(true);
    expect(JSON.stringify(h.logs)).not.toContain(SECRET);
    expect(JSON.stringify(d)).not.toContain(SECRET);
  });

  it('a configured concurrency is capped at the plugin maximum, and a lower one is honoured', async () => {
    const slow = async () => (await new Promise((r) => setTimeout(r, 15)), { status: 200, body: {} });
    h = await startHarness({ settings: { batch: 1, concurrency: 3 }, concurrency: 1, handler: slow });
    await h.append(Array.from({ length: 6 }, (_, i) => makeEvent(`u${i}`)));
    h.engine.start();
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(6));
    expect(Math.max(...h.vendor.requests.map((r) => r.concurrent))).toBe(0);
    await h.close();

    h = await startHarness({ settings: { batch: 1, concurrency: 2 }, concurrency: 50, handler: slow });
    await h.append(Array.from({ length: 8 }, (_, i) => makeEvent(`u${i}`)));
    h.engine.start();
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(8));
    expect(Math.max(...h.vendor.requests.map((r) => r.concurrent))).toBeLessThanOrEqual(1);
    expect(h.logs.some((l) => l.level === 'warn' && /capped/.test(l.msg ?? ''))).toBe(true);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { makeEvent } from '../spool/contract.js';
import { eventually, startHarness, type Harness } from './harness.js';
import type { RecordedRequest } from '@signal/core/testkit';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ok = { status: 200, body: {} };
const idsIn = (r: RecordedRequest) => r.json<{ records: { id: string }[] }>().records.map((x) => x.id);
const settle = () => new Promise((r) => setTimeout(r, 100));

describe('delivery engine: auth pause', () => {
  it('an auth failure pauses the integration, says so, gives the jobs back, probes once after the pause, and resumes', async () => {
    let status = 401;
    h = await startHarness({ authPauseMs: 60_000, handler: () => (status === 200 ? ok : { status }) });
    const events = [makeEvent('u1'), makeEvent('u2')];
    await h.append(events);
    h.engine.start();
    await eventually(() => expect(h!.engine.paused()).toEqual({ test: expect.stringContaining('HTTP 401') }));
    expect(h.logs.some((l) => l.level === 'error' && /test is paused/.test(l.msg ?? '') && /HTTP 401/.test(l.msg ?? ''))).toBe(true);
    await eventually(async () => expect((await h!.spool.stats())[0]!.byState).toEqual({ pending: 2 }));
    const [entry] = await h.spool.deliveries({ integration: 'test', limit: 1 });
    expect(entry!.attempts).toBe(0);
    expect(h.attempts.every((a) => a.state === 'paused')).toBe(true);

    // Paused: new events and wakes send nothing.
    await h.append([makeEvent('u3')]);
    h.clock.advance(59_000);
    h.engine.wake();
    await settle();
    expect(h.vendor.requests).toHaveLength(1);

    // Pause over: exactly one probe batch; still refused, still paused.
    h.clock.advance(1_001);
    h.engine.wake();
    await eventually(() => expect(h!.vendor.requests).toHaveLength(2));
    await settle();
    expect(h.vendor.requests).toHaveLength(2);
    expect(h.engine.paused()).toHaveProperty('test');

    status = 200;
    h.engine.resume('test');
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(3));
    expect(h.engine.paused()).toEqual({});
  });

  it('a successful probe ends the pause on its own', async () => {
    let status = 403;
    h = await startHarness({ authPauseMs: 1_000, handler: () => (status === 200 ? ok : { status }) });
    await h.append([makeEvent('u1')]);
    h.engine.start();
    await eventually(() => expect(h!.engine.paused()).toHaveProperty('test'));
    status = 200;
    h.clock.advance(1_000);
    h.engine.wake();
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(1));
    expect(h.engine.paused()).toEqual({});
  });
});

describe('delivery engine: per-user order', () => {
  it("holds a user's later events while an earlier one retries; other users flow", async () => {
    const a1 = makeEvent('A');
    const a2 = makeEvent('A');
    const b1 = makeEvent('B');
    const b2 = makeEvent('B');
    let a1Failures = 0;
    h = await startHarness({
      settings: { batch: 1 },
      handler: (req) => {
        if (idsIn(req).includes(a1.message_id) && a1Failures++ === 0) return { status: 500 };
        return ok;
      },
    });
    await h.append([a1, a2, b1, b2]);
    h.engine.start();
    await eventually(async () => {
      const delivered = (await h!.spool.deliveries({ state: 'delivered' })).map((d) => d.messageId);
      expect(delivered.sort()).toEqual([b1.message_id, b2.message_id].sort());
    });
    await settle();
    const sent = h.vendor.requests.flatMap(idsIn);
    expect(sent).not.toContain(a2.message_id);
    expect((await h.spool.event(a2.message_id))!.deliveries[0]!.state).toBe('pending');

    h.clock.advance(10_000);
    h.engine.wake();
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(4));
    const order = h.vendor.requests.flatMap(idsIn);
    expect(order.lastIndexOf(a1.message_id)).toBeLessThan(order.indexOf(a2.message_id));
    expect(order.filter((id) => id === a2.message_id)).toHaveLength(1);
  });

  it('never has two requests in flight for one user', async () => {
    const events = [makeEvent('A'), makeEvent('A'), makeEvent('A'), makeEvent('B'), makeEvent('B')];
    const inFlightUsers = new Map<string, number>();
    let overlap = false;
    h = await startHarness({
      settings: { batch: 1, concurrency: 4 },
      handler: async (req) => {
        const users = req.json<{ records: { user: string }[] }>().records.map((r) => r.user);
        for (const u of users) {
          if ((inFlightUsers.get(u) ?? 0) > 0) overlap = true;
          inFlightUsers.set(u, (inFlightUsers.get(u) ?? 0) + 1);
        }
        await new Promise((r) => setTimeout(r, 20));
        for (const u of users) inFlightUsers.set(u, inFlightUsers.get(u)! - 1);
        return ok;
      },
    });
    await h.append(events);
    h.engine.start();
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(5));
    expect(overlap).toBe(false);
    expect(h.vendor.requests.flatMap(idsIn).filter((id) => events.slice(0, 3).some((e) => e.message_id === id))).toEqual(
      events.slice(0, 3).map((e) => e.message_id),
    );
    expect(Math.max(...h.vendor.requests.map((r) => r.concurrent))).toBeGreaterThan(0);
  });
});

describe('delivery engine: plugin bugs never lose events', () => {
  it('a wrong result count (ContractError) is logged and retried, not dropped', async () => {
    h = await startHarness({ settings: { buggy: true } });
    const e = makeEvent('u1');
    await h.append([e]);
    h.engine.start();
    const d = await eventually(async () => {
      const x = (await h!.spool.event(e.message_id))!.deliveries[0]!;
      expect(x.state).toBe('retry');
      return x;
    });
    expect(d.lastResult).toMatchObject({ status: 'retry', reason: expect.stringContaining('ContractError') });
    expect(h.logs.some((l) => l.level === 'error' && /failed unexpectedly/.test(l.msg ?? ''))).toBe(true);
  });
});

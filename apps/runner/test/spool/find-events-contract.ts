import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SignalEvent } from '@signal/core';
import type { EventPage, EventQuery, Spool } from '../../src/spool/types.js';
import { makeEvent } from './contract.js';

/**
 * `Spool.findEvents` (the event debugger's list and search), driver-agnostic: each driver's
 * test file calls it next to spoolContract.
 */
export function findEventsContract(name: string, open: () => Promise<Spool>, cleanup: () => Promise<void>): void {
  describe(`spool findEvents: ${name}`, () => {
    let spool: Spool;
    beforeEach(async () => {
      spool = await open();
    });
    afterEach(async () => {
      await spool.close();
      await cleanup();
    });

    const append = (events: SignalEvent[], integrations = ['a', 'b']) => spool.append(events.map((event) => ({ event, integrations, source: 'web' })));
    /** Follows `next` until the driver says nothing older remains. */
    const all = async (query: EventQuery): Promise<string[]> => {
      const ids: string[] = [];
      let page: EventPage = { events: [], next: '' };
      for (let i = 0; page.next !== undefined && i < 50; i++) {
        page = await spool.findEvents({ ...query, ...(page.next === '' ? {} : { before: page.next }) });
        ids.push(...page.events.map((e) => e.messageId));
      }
      return ids;
    };
    const settle = async (integration: string, messageId: string, state: 'delivered' | 'dead') => {
      const jobs = await spool.claim(integration, { limit: 100, now: Date.now() + 1_000, leaseMs: 60_000 });
      const job = jobs.find((j) => j.messageId === messageId)!;
      await spool.complete([
        { job, state, attempt: { at: Date.now(), result: state === 'dead' ? { status: 'retry', reason: 'HTTP 503' } : { status: 'delivered' } } },
        ...jobs.filter((j) => j !== job).map((j) => ({ job: j, state: 'release' as const })),
      ]);
    };

    it('lists one row per event, newest first, each with its delivery per integration', async () => {
      const first = makeEvent('u1', { event: 'Order Completed' });
      const second = makeEvent('u2', { type: 'page', event: undefined, name: 'Pricing' } as Partial<SignalEvent>);
      await append([first]);
      await append([second]);
      await settle('a', first.message_id, 'delivered');

      const page = await spool.findEvents({ limit: 10 });
      expect(page.events.map((e) => e.messageId)).toEqual([second.message_id, first.message_id]);
      const row = page.events[1]!;
      expect(row).toMatchObject({ type: 'track', eventName: 'Order Completed', userId: 'u1', source: 'web' });
      expect(typeof row.receivedAt).toBe('number');
      expect(row.deliveries.map((d) => `${d.integration}:${d.state}`).sort()).toEqual(['a:delivered', 'b:pending']);
      expect(page.events[0]).toMatchObject({ type: 'page', eventName: 'Pricing' });
      expect(page.next).toBeUndefined();
    });

    it('searches by message id, by user id or anonymous id, and by event name (any case)', async () => {
      const a = makeEvent('user-a', { event: 'Product Viewed' });
      const anon = makeEvent('', { user_id: undefined, anonymous_id: 'anon-7', event: 'Product Viewed' } as Partial<SignalEvent>);
      const both = makeEvent('user-b', { anonymous_id: 'anon-8', event: 'Order Completed' } as Partial<SignalEvent>);
      await append([a, anon, both]);

      expect(await all({ messageId: both.message_id })).toEqual([both.message_id]);
      expect(await all({ messageId: 'no-such-id' })).toEqual([]);
      expect(await all({ user: 'user-a' })).toEqual([a.message_id]);
      expect(await all({ user: 'anon-7' })).toEqual([anon.message_id]);
      // An identified user's earlier anonymous id still finds the event.
      expect(await all({ user: 'anon-8' })).toEqual([both.message_id]);
      expect(await all({ eventName: 'product viewed' })).toEqual([anon.message_id, a.message_id]);
      expect(await all({ eventName: 'Product Viewed', user: 'user-a' })).toEqual([a.message_id]);
    });

    it('filters by integration and delivery state (failed = rejected or dead), keeping every delivery of a matching event', async () => {
      const ok = makeEvent('u1');
      const dead = makeEvent('u2');
      const elsewhere = makeEvent('u3');
      await append([ok, dead]);
      await append([elsewhere], ['b']);
      await settle('a', ok.message_id, 'delivered');
      await settle('a', dead.message_id, 'dead');

      expect(await all({ integration: 'a' })).toEqual([dead.message_id, ok.message_id]);
      expect(await all({ state: 'dead' })).toEqual([dead.message_id]);
      expect(await all({ state: 'failed', integration: 'a' })).toEqual([dead.message_id]);
      expect(await all({ state: 'failed', integration: 'b' })).toEqual([]);
      expect(await all({ integration: 'b', state: 'pending' })).toEqual([elsewhere.message_id, dead.message_id, ok.message_id]);
      const [row] = (await spool.findEvents({ state: 'dead' })).events;
      expect(row!.deliveries.map((d) => `${d.integration}:${d.state}`).sort()).toEqual(['a:dead', 'b:pending']);
    });

    it('pages with the cursor: every event once, in order', async () => {
      const events = Array.from({ length: 7 }, (_, i) => makeEvent(`p${i}`));
      for (const e of events) await append([e]);
      const first = await spool.findEvents({ limit: 3 });
      expect(first.events).toHaveLength(3);
      expect(first.next).toBeDefined();
      expect(await all({ limit: 3 })).toEqual(events.map((e) => e.message_id).reverse());
    });
  });
}

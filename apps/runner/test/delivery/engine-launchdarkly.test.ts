import launchdarkly from '@signal/launchdarkly';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEvent } from '../spool/contract.js';
import { eventually, startHarness, type Harness } from './harness.js';

/**
 * The real LaunchDarkly plugin through the engine: a batch whose attempt got no definite answer
 * is retried as the same events with the same X-LaunchDarkly-Payload-ID even though newer events
 * arrived meanwhile; a whole-batch 400 is bisected so only the malformed event is rejected.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const settings = { access_token: 'api-ld-secret-token', project_key: 'default', environment_key: 'production' };
const ids = (body: string) => (JSON.parse(body) as { data: { message_id?: string }; contextKeys: Record<string, string> }[]).map((e) => e.contextKeys['user']);
const track = (user: string, extra: Record<string, unknown> = {}) => makeEvent(user, { event: 'Order Completed', properties: { revenue: 10, ...extra } });

describe('LaunchDarkly through the engine', () => {
  it('a timed-out import is retried as the same events with the same payload id; events that arrived meanwhile go in their own import', async () => {
    h = await startHarness({ destination: launchdarkly, settings, handler: (_req, i) => (i === 0 ? { fault: 'reset' } : { status: 202 }) });
    const first = [track('u1'), track('u2')];
    await h.append(first);
    h.engine.start();
    await eventually(async () => expect((await h!.spool.event(first[0]!.message_id))!.deliveries[0]!.state).toBe('retry'));
    await h.append([track('u3'), track('u4')]);
    h.clock.advance(10_000);
    h.engine.wake();
    await eventually(async () => expect((await h!.spool.deliveries({ state: 'delivered' })).length).toBe(4));
    const [lost, ...rest] = h.vendor.requests;
    const retried = rest.find((r) => ids(r.body).includes('u1'))!;
    expect(ids(retried.body)).toEqual(['u1', 'u2']);
    expect(retried.headers['x-launchdarkly-payload-id']).toBe(lost!.headers['x-launchdarkly-payload-id']);
    expect(rest.flatMap((r) => ids(r.body)).sort()).toEqual(['u1', 'u2', 'u3', 'u4']);
  });

  it('a 400 for the whole import is bisected: only the malformed event is rejected, the rest delivered', async () => {
    h = await startHarness({
      destination: launchdarkly,
      settings,
      handler: (req) => (ids(req.body).includes('bad') ? { status: 400, body: { message: 'malformed event' } } : { status: 202 }),
    });
    const events = ['a', 'b', 'c', 'bad', 'd', 'e'].map((u) => track(u));
    await h.append(events);
    h.engine.start();
    await eventually(async () => expect((await h!.spool.stats())[0]!.depth).toBe(0));
    const states = await Promise.all(events.map(async (e) => (await h!.spool.event(e.message_id))!.deliveries[0]!.state));
    expect(states).toEqual(['delivered', 'delivered', 'delivered', 'rejected', 'delivered', 'delivered']);
  });
});

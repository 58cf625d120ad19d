import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { idHash } from '../../src/spool/nats/id-window.js';
import { identify, track } from './events.js';
import { jobsOn, natsMissing, sandbox, type Sandbox } from './nats-available.js';

const lease = { leaseMs: 30_000 };

describe.skipIf(natsMissing)('JetStream spool: ingest', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(async () => {
    await sb.dispose();
  });

  it('stores one EVENTS message per commit and one WORK chunk per integration before resolving', async () => {
    const spool = await sb.open();
    const events = [track('u1'), track('u2'), track('u3')];
    const result = await spool.append(events.map((event) => ({ event, integrations: ['leanplum', 'clever.tap'], source: 'web' })));
    expect(result.outcomes).toEqual(['stored', 'stored', 'stored']);
    // Oracle: the streams themselves, through another connection.
    expect((await sb.jsm.streams.info(sb.names.streams.events)).state.messages).toBe(1);
    const stored = await sb.jsm.direct.getMessage(sb.names.streams.events, { last_by_subj: sb.names.events });
    expect(stored?.json<{ items: { s: string; i: string[]; e: { message_id: string } }[] }>().items.map((i) => [i.s, i.i, i.e.message_id])).toEqual(
      events.map((e) => ['web', ['leanplum', 'clever.tap'], e.message_id]),
    );
    // The ids travel as hashes in a header (a message id may hold any character; a header value may not).
    expect(stored?.header.get('Signal-Ids').split(' ')).toHaveLength(3);
    expect((await sb.jsm.streams.info(sb.names.streams.work)).state.messages).toBe(2);
    expect(await jobsOn(sb.jsm, sb.names.streams.work, sb.names.workFilter('leanplum'))).toBe(3);
    expect(await jobsOn(sb.jsm, sb.names.streams.work, sb.names.workFilter('clever.tap'))).toBe(3);
  });

  it('groups concurrent appends into one commit, each with its own outcomes', async () => {
    const spool = await sb.open();
    const events = Array.from({ length: 30 }, (_, i) => track(`u${i}`));
    const results = await Promise.all([events.slice(0, 10), events.slice(10, 20), [...events.slice(20), events[0]!]].map((batch) => spool.append(batch.map((event) => ({ event, integrations: ['hook'], source: 'web' })))));
    expect(results.map((r) => r.outcomes.filter((o) => o === 'stored').length)).toEqual([10, 10, 10]);
    expect(results[2]!.outcomes[10]).toBe('duplicate');
    // Fewer messages than appends: they arrived in one turn of the event loop.
    expect((await sb.jsm.streams.info(sb.names.streams.events)).state.messages).toBeLessThan(3);
    expect(await jobsOn(sb.jsm, sb.names.streams.work, sb.names.workFilter('hook'))).toBe(30);
  });

  it('reports a repeated message_id as duplicate and stores nothing more', async () => {
    const spool = await sb.open();
    const e = track('u1');
    const first = await spool.append([{ event: e, integrations: ['leanplum'], source: 'web' }]);
    const again = await spool.append([
      { event: { ...e, properties: { changed: true } }, integrations: ['leanplum'], source: 'web' },
      { event: track('u2'), integrations: ['leanplum'], source: 'web' },
    ]);
    expect(first.outcomes).toEqual(['stored']);
    expect(again.outcomes).toEqual(['duplicate', 'stored']);
    expect(await jobsOn(sb.jsm, sb.names.streams.work, sb.names.workFilter('leanplum'))).toBe(2);
    // Message ids with any character (CR/LF, dots, spaces) dedupe too.
    const odd = track('u3', { message_id: 'a.b c\r\nd>*' });
    expect((await spool.append([{ event: odd, integrations: ['leanplum'], source: 'web' }])).outcomes).toEqual(['stored']);
    expect((await spool.append([{ event: odd, integrations: ['leanplum'], source: 'web' }])).outcomes).toEqual(['duplicate']);
  });

  it('dedupes across runners and across a restart (the window is rebuilt from EVENTS)', async () => {
    const a = await sb.open({ name: 'runner-a' });
    const b = await sb.open({ name: 'runner-b' });
    const e = track('u1');
    expect((await a.append([{ event: e, integrations: ['hook'], source: 'web' }])).outcomes).toEqual(['stored']);
    // Runner B learns it from the EVENTS stream it follows.
    let outcome: string | undefined;
    for (let i = 0; i < 50 && outcome !== 'duplicate'; i++) {
      outcome = (await b.append([{ event: e, integrations: ['hook'], source: 'web' }])).outcomes[0];
      if (outcome !== 'duplicate') await new Promise((r) => setTimeout(r, 20));
    }
    expect(outcome).toBe('duplicate');
    await a.close();
    await b.close();
    const c = await sb.open({ name: 'runner-c' });
    expect((await c.append([{ event: e, integrations: ['hook'], source: 'web' }])).outcomes).toEqual(['duplicate']);
    expect((await c.append([{ event: e, integrations: ['hook'], source: 'ios' }])).outcomes).toEqual(['stored']);
    // At most one job each per source, whatever the outcomes said.
    const jobs = await c.claim('hook', { limit: 10, now: Date.now(), ...lease });
    expect(jobs.map((j) => j.id).sort()).toEqual([sb.names.jobId('hook', 'ios', e.message_id), sb.names.jobId('hook', 'web', e.message_id)].sort());
  });

  it('two runners that accepted one id at once (neither had seen the other) deliver it once', async () => {
    const spool = await sb.open();
    const e = track('u1');
    expect((await spool.append([{ event: e, integrations: ['hook'], source: 'web' }])).outcomes).toEqual(['stored']);
    // What a second runner writes when it accepted the same id in the same instant: its own chunk and EVENTS record.
    await sb.nc.request(sb.names.work('hook', 1), JSON.stringify({ c: 'other', t: Date.now(), jobs: [{ s: 'web', e }] }));
    const { headers } = await import('@nats-io/transport-node');
    const h = headers();
    h.set('Signal-Commit', 'other');
    h.set('Signal-Ids', idHash('web', e.message_id));
    h.set('Signal-Sources', 'web');
    await sb.nc.request(sb.names.events, JSON.stringify({ c: 'other', t: Date.now(), items: [{ s: 'web', i: ['hook'], e }] }), { headers: h, timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 200)); // the runner follows EVENTS
    const jobs = await spool.claim('hook', { limit: 10, now: Date.now(), ...lease });
    expect(jobs.map((j) => j.messageId)).toEqual([e.message_id]);
    await spool.complete([{ job: jobs[0]!, state: 'delivered', attempt: { at: Date.now(), result: { status: 'delivered' } } }]);
    expect(await spool.claim('hook', { limit: 10, now: Date.now(), ...lease })).toEqual([]);
    // Both chunks are done: the copy was recorded as nothing to send.
    expect((await sb.jsm.streams.info(sb.names.streams.work)).state.messages).toBe(0);
  });

  it('the dedupe window is bounded: an id older than dedupe_max_ids allows is accepted again', async () => {
    const spool = await sb.open({ dedupe_max_ids: 8 });
    const events = Array.from({ length: 20 }, (_, i) => track(`u${i}`));
    for (const event of events) await spool.append([{ event, integrations: ['hook'], source: 'web' }]);
    expect((await spool.append([{ event: events[0]!, integrations: ['hook'], source: 'web' }])).outcomes).toEqual(['stored']);
    expect((await spool.append([{ event: events[19]!, integrations: ['hook'], source: 'web' }])).outcomes).toEqual(['duplicate']);
    // A restart rebuilds the same window from the end of EVENTS: the newest ids, as many as the limit allows.
    await spool.close();
    const again = await sb.open({ dedupe_max_ids: 8 });
    expect((await again.append([{ event: events[18]!, integrations: ['hook'], source: 'web' }])).outcomes).toEqual(['duplicate']);
    expect((await again.append([{ event: events[1]!, integrations: ['hook'], source: 'web' }])).outcomes).toEqual(['stored']);
  });

  it('a commit cut short before its EVENTS message (a crash) is stored again on the retry, never refused', async () => {
    const spool = await sb.open();
    const e = track('u1');
    // What a runner that died after writing the chunk leaves: a job, but no EVENTS record (so no dedupe entry).
    await sb.nc.request(sb.names.work('hook', 1), JSON.stringify({ c: 'crashed', t: Date.now(), jobs: [{ s: 'web', e }] }));
    expect((await spool.append([{ event: e, integrations: ['hook'], source: 'web' }])).outcomes).toEqual(['stored']);
    // At least once: both copies are delivered (the second after the first is recorded, by job id).
    const first = await spool.claim('hook', { limit: 10, now: Date.now(), ...lease });
    expect(first.map((j) => j.messageId)).toEqual([e.message_id]);
    await spool.complete([{ job: first[0]!, state: 'delivered', attempt: { at: Date.now(), result: { status: 'delivered' } } }]);
    expect((await spool.claim('hook', { limit: 10, now: Date.now(), ...lease })).map((j) => j.messageId)).toEqual([e.message_id]);
    expect((await spool.event(e.message_id, 'web'))?.event.message_id).toBe(e.message_id);
  });

  it('EVENTS at its limit refuses the append; the chunks already written are taken back, so the retry is delivered once', async () => {
    const spool = await sb.open();
    await spool.append([{ event: track('u0'), integrations: ['hook'], source: 'web' }]);
    // An operator's limit on EVENTS, reached (discard New).
    const info = await sb.jsm.streams.info(sb.names.streams.events);
    await sb.jsm.streams.update(sb.names.streams.events, { ...info.config, max_msgs: 1 });
    const e = track('u1');
    await expect(spool.append([{ event: e, integrations: ['hook'], source: 'web' }])).rejects.toMatchObject({ kind: 'spool' });
    expect(spool.health().writable).toBe(false);
    expect(await jobsOn(sb.jsm, sb.names.streams.work, sb.names.workFilter('hook'))).toBe(1);
    await sb.jsm.streams.update(sb.names.streams.events, { ...info.config, max_msgs: -1 });
    expect((await spool.append([{ event: e, integrations: ['hook'], source: 'web' }])).outcomes).toEqual(['stored']);
    const jobs = await spool.claim('hook', { limit: 10, now: Date.now(), ...lease });
    expect(jobs.filter((j) => j.messageId === e.message_id)).toHaveLength(1);
  });

  it("remembers identify traits per user and copies them into the user's later events", async () => {
    const spool = await sb.open();
    await spool.append([
      { event: identify('u1', { email: 'a@example.com', plan: 'free' }), integrations: [], source: 'web' },
      { event: identify('u1', { plan: 'pro' }), integrations: [], source: 'web' },
    ]);
    const later = track('u1', { context: { traits: { plan: 'own' } } });
    const other = track('u2');
    await spool.append([
      { event: later, integrations: ['clevertap'], source: 'web' },
      { event: other, integrations: ['clevertap'], source: 'web' },
    ]);
    const memory = await sb.jsm.direct.getMessage(sb.names.streams.traits, { last_by_subj: sb.names.traits('u:u1') });
    expect(memory?.json()).toEqual({ email: 'a@example.com', plan: 'pro' });
    const jobs = await spool.claim('clevertap', { limit: 10, now: Date.now(), leaseMs: 30_000 });
    const byId = new Map(jobs.map((j) => [j.messageId, j.event]));
    expect(byId.get(later.message_id)?.context['traits']).toEqual({ email: 'a@example.com', plan: 'own' });
    expect(byId.get(other.message_id)?.context['traits']).toBeUndefined();
  });

  it('an identify accepted by one runner reaches the next event of that user at another runner at once', async () => {
    const a = await sb.open({ name: 'runner-a' });
    const b = await sb.open({ name: 'runner-b' });
    // B has seen u1 without traits (and keeps that in memory)...
    await b.append([{ event: track('u1'), integrations: [], source: 'web' }]);
    // ...then A accepts an identify, and B the next event right after A's answer.
    await a.append([{ event: identify('u1', { email: 'u1@example.com' }), integrations: [], source: 'web' }]);
    const next = track('u1');
    await b.append([{ event: next, integrations: ['hook'], source: 'web' }]);
    const [job] = await b.claim('hook', { limit: 10, now: Date.now(), ...lease });
    expect(job?.event.context['traits']).toEqual({ email: 'u1@example.com' });
  });
});

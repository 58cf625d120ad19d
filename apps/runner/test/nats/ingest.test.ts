import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { identify, track } from './events.js';
import { countOn, natsMissing, sandbox, type Sandbox } from './nats-available.js';

describe.skipIf(natsMissing)('JetStream spool: ingest', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(async () => {
    await sb.dispose();
  });

  it('stores the event once and one work message per integration before resolving', async () => {
    const spool = await sb.open();
    const e = track('u1');
    const result = await spool.append([{ event: e, integrations: ['leanplum', 'clever.tap'], source: 'web' }]);
    expect(result.outcomes).toEqual(['stored']);
    // Oracle: the streams themselves, through another connection.
    const stored = await sb.jsm.direct.getMessage(sb.names.streams.events, { last_by_subj: sb.names.event('web', e.message_id) });
    expect(stored?.json<{ event: { message_id: string } }>().event.message_id).toBe(e.message_id);
    expect(await countOn(sb.jsm, sb.names.streams.work, sb.names.work('leanplum'))).toBe(1);
    expect(await countOn(sb.jsm, sb.names.streams.work, sb.names.work('clever.tap'))).toBe(1);
  });

  it('reports a repeated message_id as duplicate and stores nothing more (Nats-Msg-Id window)', async () => {
    const spool = await sb.open();
    const e = track('u1');
    const first = await spool.append([{ event: e, integrations: ['leanplum'], source: 'web' }]);
    const again = await spool.append([
      { event: { ...e, properties: { changed: true } }, integrations: ['leanplum'], source: 'web' },
      { event: track('u2'), integrations: ['leanplum'], source: 'web' },
    ]);
    expect(first.outcomes).toEqual(['stored']);
    expect(again.outcomes).toEqual(['duplicate', 'stored']);
    expect(await countOn(sb.jsm, sb.names.streams.work, sb.names.work('leanplum'))).toBe(2);
    expect((await sb.jsm.streams.info(sb.names.streams.events)).state.messages).toBe(2);
  });

  it('dedupes beyond the duplicate window and heals a job lost half-way through an earlier append', async () => {
    const spool = await sb.open();
    const e = track('u1');
    // An event record written long ago (no Nats-Msg-Id in the window), whose job was never created: a crash after the first write.
    await sb.nc.request(sb.names.event('web', e.message_id), JSON.stringify({ event: e, source: 'web', integrations: ['leanplum'], storedAt: 1 }));
    const result = await spool.append([{ event: e, integrations: ['leanplum'], source: 'web' }]);
    expect(result.outcomes).toEqual(['duplicate']);
    expect(await countOn(sb.jsm, sb.names.streams.work, sb.names.work('leanplum'))).toBe(1);
    // A further retry finds the job's log entry and creates nothing.
    await spool.append([{ event: e, integrations: ['leanplum'], source: 'web' }]);
    expect(await countOn(sb.jsm, sb.names.streams.work, sb.names.work('leanplum'))).toBe(1);
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
});

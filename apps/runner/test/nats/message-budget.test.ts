import type { JetStreamManager } from '@nats-io/jetstream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Exchange } from '@signal/core';
import type { Job, Spool } from '../../src/spool/types.js';
import { track } from './events.js';
import { natsMissing, sandbox, type Sandbox } from './nats-available.js';

/**
 * What ingest and delivery cost in JetStream messages: a noise-free figure (the
 * throughput benchmarks on a shared machine are not). Counted on the server
 * (messages each stream stored: the growth of its last sequence) and on the
 * client (protocol messages the runner's connection sent: publishes, direct
 * gets, pulls, acks).
 */
async function storedMessages(jsm: JetStreamManager, prefix: string): Promise<number> {
  let total = 0;
  for await (const name of jsm.streams.names()) {
    if (name.startsWith(`${prefix}_`)) total += (await jsm.streams.info(name)).state.last_seq;
  }
  return total;
}

const sent = (spool: Spool) => (spool as unknown as { nc: { stats(): { outMsgs: number } } }).nc.stats().outMsgs;

describe.skipIf(natsMissing)('JetStream spool: messages per event and per job', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(async () => {
    await sb.dispose();
  });

  it('ingest of 100-event batches and delivery in batches of 1000 stay within a message budget', async () => {
    const spool = await sb.open();
    // Open, with the streams created: the baseline.
    const stored0 = await storedMessages(sb.jsm, sb.prefix);
    const sent0 = sent(spool);
    const events = 2_000;
    for (let i = 0; i < events / 100; i++) {
      const batch = Array.from({ length: 100 }, (_, k) => track(`user-${(i * 100 + k) % 100}`));
      expect((await spool.append(batch.map((event) => ({ event, integrations: ['clevertap'], source: 'web' })))).outcomes.every((o) => o === 'stored')).toBe(true);
    }
    const stored1 = await storedMessages(sb.jsm, sb.prefix);
    const sent1 = sent(spool);

    const exchange: Exchange = { request: { method: 'POST', url: 'https://vendor.test/1/upload', headers: {}, body: '{"d":[]}' }, response: { status: 200, headers: {}, body: '{"status":"success"}' }, durationMs: 3 };
    let delivered = 0;
    for (let round = 0; round < 20 && delivered < events; round++) {
      const jobs: Job[] = await spool.claim('clevertap', { limit: 1_000, now: Date.now(), leaseMs: 30_000 });
      if (jobs.length === 0) continue;
      await spool.complete(jobs.map((job) => ({ job, state: 'delivered' as const, attempt: { at: Date.now(), result: { status: 'delivered' as const }, exchange, payload: { id: job.messageId } } })));
      delivered += jobs.length;
    }
    expect(delivered).toBe(events);
    const stored2 = await storedMessages(sb.jsm, sb.prefix);
    const sent2 = sent(spool);
    const per = (n: number, d: number) => Number((n / d).toFixed(3));
    const figures = {
      ingest: { storedPerEvent: per(stored1 - stored0, events), sentPerEvent: per(sent1 - sent0, events) },
      delivery: { storedPerJob: per(stored2 - stored1, events), sentPerJob: per(sent2 - sent1, events) },
    };
    console.info(`JetStream messages: ${JSON.stringify(figures)}`);
    expect((await spool.stats()).find((s) => s.integration === 'clevertap')).toMatchObject({ depth: 0, byState: { delivered: events } });
    // Today's layout is one message per event (or job) per stream touched; batches must cost per batch.
    expect(figures.ingest.storedPerEvent).toBeLessThanOrEqual(0.05);
    expect(figures.ingest.sentPerEvent).toBeLessThanOrEqual(0.2);
    expect(figures.delivery.storedPerJob).toBeLessThanOrEqual(0.05);
    expect(figures.delivery.sentPerJob).toBeLessThanOrEqual(0.05);
  });
});

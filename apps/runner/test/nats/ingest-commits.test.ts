import type { JetStreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import type { EventIndex } from '../../src/spool/nats/event-index.js';
import { Ingest } from '../../src/spool/nats/ingest.js';
import type { Names } from '../../src/spool/nats/names.js';
import type { TraitsMemory } from '../../src/spool/nats/traits.js';
import type { PubAck, Wire } from '../../src/spool/nats/wire.js';
import type { AppendItem } from '../../src/spool/types.js';
import { track } from './events.js';

/** A wire whose acks the test releases: what JetStream is asked, and when it answers. */
function heldWire() {
  const held: { subject: string; ack: () => void }[] = [];
  let seq = 0;
  const wire = {
    publish: (subject: string) =>
      new Promise<PubAck>((resolve) => {
        held.push({ subject, ack: () => resolve({ seq: ++seq, duplicate: false }) });
      }),
  } as unknown as Wire;
  return { wire, held };
}

const names = { events: 'EV', work: (integration: string, n: number) => `WORK.${integration}.${n}`, streams: { work: 'WORK' } } as unknown as Names;
const traits = { prepare: async (events: unknown[]) => events.map((event) => ({ event })), remember: async () => undefined } as unknown as TraitsMemory;
const index = { window: { first: () => undefined }, stored: () => undefined } as unknown as EventIndex;
const turn = () => new Promise((resolve) => setImmediate(resolve));
const items = (n: number): AppendItem[] => Array.from({ length: n }, (_, i) => ({ event: track(`u${i}`), integrations: ['hook'], source: 'web' }));

/** Acks every publish made so far, and lets the commits that were waiting for them go on. */
async function ackAll(held: { ack: () => void }[]) {
  for (const h of held.splice(0)) h.ack();
  for (let i = 0; i < 5; i++) await turn();
}

describe('JetStream ingest: commits', () => {
  it('single-event appends made while a commit is written wait for it and share the next commit', async () => {
    const { wire, held } = heldWire();
    const ingest = new Ingest(wire, {} as JetStreamManager, names, traits, index, 1_000_000);
    const first = ingest.append(items(1));
    await turn();
    await turn();
    expect(held.map((h) => h.subject)).toEqual(['WORK.hook.1']);
    // Ten requests in ten turns while the first commit waits for JetStream.
    const later: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      later.push(ingest.append(items(1)));
      await turn();
    }
    // Nothing more was sent: each commit costs three round trips in a row, so small ones wait and grow.
    expect(held.map((h) => h.subject)).toEqual(['WORK.hook.1']);
    await ackAll(held); // the first commit's chunk: its EVENTS message goes out
    expect(held.map((h) => h.subject)).toEqual(['EV']);
    await ackAll(held);
    await first;
    // The ten waiting appends: one commit.
    expect(held.map((h) => h.subject)).toEqual(['WORK.hook.10']);
    await ackAll(held);
    await ackAll(held);
    const results = (await Promise.all(later)) as { outcomes: string[] }[];
    expect(results.map((r) => r.outcomes)).toEqual(Array.from({ length: 10 }, () => ['stored']));
  });

  it('a large batch does not wait: its commit overlaps the one being written', async () => {
    const { wire, held } = heldWire();
    const ingest = new Ingest(wire, {} as JetStreamManager, names, traits, index, 10_000_000);
    void ingest.append(items(1));
    await turn();
    await turn();
    void ingest.append(items(100));
    for (let i = 0; i < 3; i++) await turn();
    expect(held.map((h) => h.subject)).toEqual(['WORK.hook.1', 'WORK.hook.100']);
    await ackAll(held);
    await ackAll(held);
  });
});

import { userKeyOf, type SignalEvent } from '@signal/core';
import type { LeasedMessage } from './pull.js';
import type { RetryRecord } from './records.js';

/**
 * What one runner holds: WORK chunks it has leased (a chunk's lease covers all
 * its jobs) and single retry-queue jobs. A chunk is acked once every one of its
 * jobs is recorded; until then its jobs are queued here, handed out by claims
 * (limit and per-user order permitting), or done.
 */
export type ChunkJobState = 'queued' | 'out' | 'done' | 'lost';

export interface ChunkJob {
  id: string;
  index: number;
  source: string;
  event: SignalEvent;
  userKey: string;
  state: ChunkJobState;
}

export interface HeldChunk {
  seq: number;
  integration: string;
  commit: string;
  createdAt: number;
  message: LeasedMessage;
  jobs: ChunkJob[];
}

export type Holding = { kind: 'chunk'; chunk: HeldChunk; job: ChunkJob } | { kind: 'retry'; message: LeasedMessage; record: RetryRecord };

export class Leases {
  /** Held chunks by WORK sequence, oldest first per integration. */
  private readonly chunks = new Map<string, Map<number, HeldChunk>>();
  /** Jobs handed out to the engine and not yet recorded, by job id. */
  readonly out = new Map<string, Holding>();

  chunksOf(integration: string): HeldChunk[] {
    return [...(this.chunks.get(integration)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  allChunks(): HeldChunk[] {
    return [...this.chunks.values()].flatMap((m) => [...m.values()]);
  }

  held(integration: string, seq: number): HeldChunk | undefined {
    return this.chunks.get(integration)?.get(seq);
  }

  add(chunk: HeldChunk): void {
    let m = this.chunks.get(chunk.integration);
    if (m === undefined) this.chunks.set(chunk.integration, (m = new Map()));
    m.set(chunk.seq, chunk);
  }

  drop(chunk: HeldChunk): void {
    this.chunks.get(chunk.integration)?.delete(chunk.seq);
    for (const job of chunk.jobs) {
      const h = this.out.get(job.id);
      if (h?.kind === 'chunk' && h.chunk === chunk) this.out.delete(job.id);
    }
  }

  /** Users of an integration with a job handed out (their later jobs wait). */
  busyUsers(integration: string): Set<string> {
    const users = new Set<string>();
    for (const h of this.out.values()) {
      if (h.kind === 'chunk' ? h.chunk.integration === integration : h.record.integration === integration) users.add(h.kind === 'chunk' ? h.job.userKey : userKeyOf(h.record.event));
    }
    return users;
  }

  /** Counts for stats(): jobs this runner handed out, and jobs of held chunks already recorded (the stream still counts them). */
  counts(integration: string): { out: number; outRetrying: number; doneInHeld: number } {
    let out = 0;
    let outRetrying = 0;
    for (const h of this.out.values()) {
      if (h.kind === 'chunk' && h.chunk.integration === integration) out++;
      if (h.kind === 'retry' && h.record.integration === integration) {
        out++;
        if (h.message.subject.endsWith('.r')) outRetrying++;
      }
    }
    let doneInHeld = 0;
    for (const chunk of this.chunks.get(integration)?.values() ?? []) for (const job of chunk.jobs) if (job.state === 'done') doneInHeld++;
    return { out, outRetrying, doneInHeld };
  }

  clear(): void {
    this.chunks.clear();
    this.out.clear();
  }

  integrations(): string[] {
    return [...this.chunks.keys()];
  }
}

/** A chunk whose jobs are all recorded (ack it), or whose only unfinished jobs were lost to a failed write (give it back). */
export function settled(chunk: HeldChunk): 'open' | 'done' | 'lost' {
  let lost = false;
  for (const job of chunk.jobs) {
    if (job.state === 'queued' || job.state === 'out') return 'open';
    if (job.state === 'lost') lost = true;
  }
  return lost ? 'lost' : 'done';
}


import { createHash } from 'node:crypto';
import type { Job } from '../spool/types.js';

/**
 * Idempotent batches (a plugin's `capabilities.idempotentBatches`, e.g. LaunchDarkly's payload
 * id): a batch whose attempt ended without a definite answer is retried as exactly the same
 * records, in the same order, so the vendor sees the same batch id and counts it once.
 *
 * Each job of such a batch is stored with a tag `<group>/<count>/<position>` (Job.batch); when
 * the retry comes due, the lane puts the group back together from its claims (members may
 * arrive in different claims) and sends it on its own, never re-chunked with newer events.
 */
export interface GroupTag {
  group: string;
  count: number;
  position: number;
}

export function groupTag(group: string, count: number, position: number): string {
  return `${group}/${count}/${position}`;
}

export function parseGroupTag(tag: string | undefined): GroupTag | undefined {
  if (tag === undefined) return undefined;
  const [group, count, position] = tag.split('/');
  const c = Number(count);
  const p = Number(position);
  if (group === undefined || group === '' || !Number.isInteger(c) || !Number.isInteger(p) || c < 1 || p < 0 || p >= c) return undefined;
  return { group, count: c, position: p };
}

/** A group id from its members' job ids: the same set always gets the same id. */
export function groupIdOf(jobIds: readonly string[]): string {
  return createHash('sha256').update(jobIds.join('\n')).digest('hex').slice(0, 16);
}

interface Waiting<T> {
  count: number;
  members: Map<number, T>;
  since: number;
}

/**
 * Puts groups back together. A group still missing members after `waitMs` (a member was
 * replayed, or its user is held) is given up on and sent with what is there: a new batch id
 * then, which only costs the vendor's dedupe for that batch.
 */
export class GroupAssembler<T extends { job: Job }> {
  private readonly waiting = new Map<string, Waiting<T>>();

  constructor(
    private readonly waitMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get size(): number {
    let n = 0;
    for (const w of this.waiting.values()) n += w.members.size;
    return n;
  }

  /** Complete groups (in their original order), and the items that belong to no group. Incomplete groups wait here. */
  add(items: readonly T[]): { ready: T[][]; loose: T[] } {
    const loose: T[] = [];
    const touched = new Set<string>();
    for (const item of items) {
      const tag = parseGroupTag(item.job.batch);
      if (tag === undefined) {
        loose.push(item);
        continue;
      }
      let w = this.waiting.get(tag.group);
      if (w === undefined) {
        w = { count: tag.count, members: new Map(), since: this.clock() };
        this.waiting.set(tag.group, w);
      }
      w.members.set(tag.position, item);
      touched.add(tag.group);
    }
    const ready: T[][] = [];
    for (const group of touched) {
      const w = this.waiting.get(group)!;
      if (w.members.size < w.count) continue;
      this.waiting.delete(group);
      ready.push(ordered(w));
    }
    return { ready, loose };
  }

  /** Groups that waited too long, to be sent as they are. */
  expired(): T[][] {
    const now = this.clock();
    const out: T[][] = [];
    for (const [group, w] of this.waiting) {
      if (now - w.since < this.waitMs) continue;
      this.waiting.delete(group);
      out.push(ordered(w));
    }
    return out;
  }

  /** Everything still waiting (the lane is stopping: it gives these back). */
  drain(): T[] {
    const out = [...this.waiting.values()].flatMap(ordered);
    this.waiting.clear();
    return out;
  }
}

function ordered<T>(w: Waiting<T>): T[] {
  return [...w.members.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

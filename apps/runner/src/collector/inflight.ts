/** One request body still being received. */
export interface InflightBody {
  /** Bytes of it held in memory so far. */
  bytes: number;
  /** Epoch ms when its reading started. */
  readonly startedAt: number;
  /** Paused, waiting for room under the cap. */
  waiting: boolean;
}

export interface InflightHooks {
  /** Stop reading the socket: the rest stays in the kernel's buffers (and the client's). */
  pause(): void;
  resume(): void;
  /** Refuse the request: its memory is needed. */
  evict(): void;
}

/** A body still arriving after this long is a slow one. */
const slowMs = 1_000;
/** The most one socket read delivers (Node reads 64 KB at a time). */
const socketChunk = 64 * 1024;
/** A new body may take room only from bodies arriving this many times slower than it (not from its own kind). */
const slowerBy = 8;

/**
 * Caps the request-body bytes held in memory by requests still being received.
 *
 * Holding is half of the cost: every byte read from a socket is a Buffer that stays allocated
 * until the garbage collector runs (for Buffers, often tens of MB later), so a slow upload that
 * is read and then refused costs its bytes twice. Over the cap, a body therefore stops being
 * read (its socket is paused: the data waits in the kernel and in the client) rather than read
 * and thrown away. Who gets the room:
 * - a chunk that completes its body is always taken (most bodies arrive whole in one chunk, and
 *   the room comes back microseconds later): fast clients are never held up by slow ones;
 * - a new body (under 1 s) evicts (503) the oldest bodies that have been arriving for over 1 s
 *   at an eighth of its rate or less: the slow uploads, never bodies of its own kind (so a
 *   burst of slow uploads does not churn through itself, reading ever more);
 * - paused bodies resume, newest first, once a quarter of the cap is free again;
 * - if paused bodies' last chunks push the total a quarter over the cap, the oldest go.
 */
export class InflightBodies {
  /** Insertion order is arrival order: the first entry is the oldest. */
  private readonly bodies = new Map<InflightBody, InflightHooks>();
  private readonly waiting: InflightBody[] = [];
  private total = 0;

  constructor(
    private readonly capBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  get bytes(): number {
    return this.total;
  }

  get count(): number {
    return this.bodies.size;
  }

  start(hooks: InflightHooks): InflightBody {
    const body: InflightBody = { bytes: 0, startedAt: this.now(), waiting: false };
    this.bodies.set(body, hooks);
    return body;
  }

  /** Counts `n` more bytes of `body` (already received; `complete`: its last ones). */
  add(body: InflightBody, n: number, complete: boolean): void {
    body.bytes += n;
    this.total += n;
    if (this.total <= this.capBytes || complete) return;
    const now = this.now();
    if (now - body.startedAt < slowMs) {
      const rate = body.bytes / Math.max(1, now - body.startedAt);
      this.evictOldest(now - slowMs, (old) => (old.bytes / (now - old.startedAt)) * slowerBy < rate);
    }
    if (this.total > this.capBytes * 1.25) this.evictOldest(Number.POSITIVE_INFINITY, () => true);
    if (this.total > this.capBytes && this.bodies.has(body) && !body.waiting) {
      body.waiting = true;
      this.waiting.push(body);
      this.bodies.get(body)!.pause();
    }
  }

  /** The body is complete or abandoned: its bytes no longer count. Safe to call twice. */
  finish(body: InflightBody): void {
    if (!this.bodies.delete(body)) return;
    this.total -= body.bytes;
    if (body.waiting) {
      body.waiting = false;
      this.waiting.splice(this.waiting.indexOf(body), 1);
    }
    // Newest first: the oldest waiting are the likeliest slow uploads. Only once a quarter of the
    // cap is free (so the room one eviction made for a new body is not taken back at once), and
    // only as many as the room holds if each reads a full socket chunk.
    let room = this.capBytes * 0.75 - this.total;
    while (this.waiting.length > 0 && room > 0) {
      const next = this.waiting.pop()!;
      next.waiting = false;
      room -= socketChunk;
      this.bodies.get(next)?.resume();
    }
  }

  /** Evicts eligible bodies that started at or before `startedBy`, oldest first, until the total fits the cap. */
  private evictOldest(startedBy: number, eligible: (body: InflightBody) => boolean): void {
    for (const [oldest, hooks] of this.bodies) {
      // Arrival order: once one started too late, so did the rest.
      if (this.total <= this.capBytes || oldest.startedAt > startedBy) return;
      if (!eligible(oldest)) continue;
      this.finish(oldest);
      hooks.evict();
    }
  }
}

/** One request body still being received. */
export interface InflightBody {
  /** Bytes of it held in memory so far. */
  bytes: number;
  /** Called when the body must give its memory back (over the cap): refuse the request. */
  evict(): void;
}

/**
 * Caps the request-body bytes held in memory by all requests still being received. Over the cap,
 * the oldest bodies are evicted first: a fast client's body arrives in milliseconds, so the ones
 * that have been arriving longest are the slow uploads that hold memory without finishing.
 */
export class InflightBodies {
  /** Insertion order is arrival order: the first entry is the oldest. */
  private readonly bodies = new Set<InflightBody>();
  private total = 0;

  constructor(private readonly capBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  get count(): number {
    return this.bodies.size;
  }

  start(evict: () => void): InflightBody {
    const body: InflightBody = { bytes: 0, evict };
    this.bodies.add(body);
    return body;
  }

  /** Counts `n` more bytes for `body`; evicts the oldest bodies (maybe this one) while over the cap. */
  add(body: InflightBody, n: number): void {
    body.bytes += n;
    this.total += n;
    while (this.total > this.capBytes) {
      const oldest = this.bodies.values().next().value;
      if (oldest === undefined) break;
      this.finish(oldest);
      oldest.evict();
    }
  }

  /** The body is complete or abandoned: its bytes no longer count. Safe to call twice. */
  finish(body: InflightBody): void {
    if (!this.bodies.delete(body)) return;
    this.total -= body.bytes;
  }
}

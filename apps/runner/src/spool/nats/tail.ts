import { DeliverPolicy, jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Follows a stream from a sequence on: every message, in order, once (the
 * client's ordered consumer, recreated after a server restart). `reached(seq)`
 * resolves once everything up to `seq` has been seen — how a runner catches
 * up with what other runners wrote before it relies on a local view.
 */
export class StreamTail {
  /** Last stream sequence seen. */
  seen: number;
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private readonly waiters = new Set<{ seq: number; resolve(ok: boolean): void }>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly stream: string,
    private readonly filter: string,
    after: number,
    private readonly onMessage: (m: JsMsg) => void,
    private readonly headersOnly = false,
  ) {
    this.seen = after;
  }

  start(): void {
    void this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const consumer = await jetstream(this.nc).consumers.get(this.stream, {
          filter_subjects: this.filter,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.seen + 1,
          ...(this.headersOnly ? { headers_only: true } : {}),
        });
        this.messages = await consumer.consume();
        if (this.stopped) break;
        for await (const m of this.messages) {
          if (m.seq <= this.seen) continue;
          this.seen = m.seq;
          try {
            this.onMessage(m);
          } catch {
            // A malformed message (not written by a runner) is skipped.
          }
          this.wake();
        }
      } catch {
        // Server restarted, stream recreated, connection closing: start over from what was seen.
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 250).unref());
    }
  }

  /** Marks everything up to `seq` as seen (e.g. there is nothing on the filter up to there). */
  advance(seq: number): void {
    if (seq > this.seen) {
      this.seen = seq;
      this.wake();
    }
  }

  private wake(): void {
    for (const w of this.waiters) {
      if (this.seen >= w.seq) {
        this.waiters.delete(w);
        w.resolve(true);
      }
    }
  }

  /** True once messages up to `seq` were seen; false if that takes longer than `timeoutMs`. */
  reached(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.seen >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        seq,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiters) w.resolve(false);
    this.waiters.clear();
    await this.messages?.close().catch(() => undefined);
  }
}

/**
 * A share of each event-loop turn for ingest's CPU-heavy work (validating the events of a batch).
 * Work queued here runs in setImmediate callbacks, at most `budgetMs` of it per turn, and the rest
 * waits for the next turn: between two slices the loop polls I/O, so the delivery engine's
 * callbacks (vendor responses, the next request of a lane) wait for at most one slice of ingest,
 * not for every batch that arrived in the same turn. With nothing else to do, the loop comes
 * straight back and ingest gets the whole thread.
 */
export class TurnBudget {
  private readonly queue: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    private readonly budgetMs = 1,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs `work` in a later share of a turn; resolves (or rejects) with its outcome. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        try {
          resolve(work());
        } catch (error) {
          reject(error);
        }
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Queued from a check-phase callback, an immediate runs in the next turn, after its I/O poll.
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    const start = this.now();
    while (this.head < this.queue.length) {
      this.queue[this.head++]!();
      if (this.now() - start >= this.budgetMs) break;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else this.schedule();
  };
}

import type { Spool } from '../spool/types.js';

/**
 * `storage.max_backlog`: jobs not yet final beyond which ingest answers 503. Counting them is a
 * query (SQLite: an index scan; NATS: consumer info per integration), so it is never run per
 * request: the gate keeps the last count plus the jobs this collector appended since (an upper
 * bound between refreshes), and refreshes in the background at most once a second near the
 * bound, every 15 s when far from it, and never more often than 20 times the query's own
 * duration (≤ 5% of a core even on a huge spool).
 */
export class BacklogGate {
  private counted = 0;
  private appendedSince = 0;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private lastQueryMs = 0;
  private refreshing = false;

  constructor(
    private readonly spool: Pick<Spool, 'backlog'>,
    readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Estimated jobs not yet final. */
  get estimate(): number {
    return this.counted + this.appendedSince;
  }

  /** True when the backlog is at or over the bound; may start a background refresh. */
  full(): boolean {
    const estimate = this.estimate;
    const near = estimate >= this.max * 0.8;
    const interval = Math.max(near ? 1_000 : 15_000, this.lastQueryMs * 20);
    if (!this.refreshing && this.now() - this.checkedAt >= interval) this.refresh();
    return estimate >= this.max;
  }

  /** This collector stored `jobs` more jobs. */
  appended(jobs: number): void {
    this.appendedSince += jobs;
  }

  private refresh(): void {
    this.refreshing = true;
    const started = this.now();
    this.checkedAt = started;
    // Appends racing the count may be counted twice until the next refresh: the estimate errs high.
    const appendedBefore = this.appendedSince;
    this.spool
      .backlog()
      .then((count) => {
        this.counted = count;
        this.appendedSince -= appendedBefore;
      })
      .catch(() => {
        // Storage trouble shows in spool.health() and as 503s; keep the last estimate.
      })
      .finally(() => {
        this.refreshing = false;
        this.lastQueryMs = this.now() - started;
        this.checkedAt = this.now();
      });
  }
}

/**
 * Admission for one integration's requests: at most `limit` in flight, and
 * never two in flight that carry the same user (Leanplum locks a device per
 * call and answers 429 to the second; per-user order needs it too).
 */
export class RequestSlots {
  private inFlight = 0;
  private readonly busyUsers = new Map<string, number>();
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly limit: number) {}

  get free(): number {
    return Math.max(0, this.limit - this.inFlight);
  }

  get active(): number {
    return this.inFlight;
  }

  /** Resolves true when a slot is free and none of `users` is in flight (and takes them); false once closed. */
  async acquire(users: ReadonlySet<string>): Promise<boolean> {
    while (!this.closed && (this.inFlight >= this.limit || [...users].some((u) => this.busyUsers.has(u)))) await this.changed();
    if (this.closed) return false;
    this.inFlight++;
    for (const u of users) this.busyUsers.set(u, (this.busyUsers.get(u) ?? 0) + 1);
    return true;
  }

  /** Stopping: every wait ends now and no slot is handed out any more (requests in flight still release theirs). */
  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  release(users: ReadonlySet<string>): void {
    this.inFlight--;
    for (const u of users) {
      const n = (this.busyUsers.get(u) ?? 1) - 1;
      if (n <= 0) this.busyUsers.delete(u);
      else this.busyUsers.set(u, n);
    }
    this.wakeAll();
  }

  /** Wakes whoever waits in changed() without freeing anything (the lane's record budget moved). */
  notify(): void {
    this.wakeAll();
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next release (or at once when closed). */
  changed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

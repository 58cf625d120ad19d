/**
 * Where an integration's next claim may start reading due jobs. Jobs in flight stay in the
 * jobs_due index (a claim writes nothing, leases.ts), and they lead it: claims take jobs in due
 * order. Without a hint every claim reads past all of them again (with 15 requests of 1,000 in
 * flight, ~15,000 index rows per claim: three quarters of the claim's cost). The hint is the due
 * key of the last job of that leading run of jobs in flight, so the next claim seeks past it.
 *
 * A job before the hint can become claimable again only by losing its lease without a result
 * (given back, lease expired) or by being moved to a due time at or before the hint (a retry due
 * at once, a replay): those forget the hint, and the next claim reads from the start. A claim
 * that finds nothing after its hint reads from the start too, so a missed case costs one scan,
 * never a job.
 */
export interface DueKey {
  next_at: number;
  state: string;
  id: number;
}

export class ClaimHints {
  private readonly after = new Map<string, DueKey>();

  get(integration: string): DueKey | undefined {
    return this.after.get(integration);
  }

  set(integration: string, key: DueKey | undefined): void {
    if (key === undefined) this.after.delete(integration);
    else this.after.set(integration, { next_at: key.next_at, state: key.state, id: key.id });
  }

  /** A job of this integration is due again at `dueAt` (undefined: as before its lease, or unknown). */
  dueAgain(integration: string | undefined, dueAt?: number): void {
    if (integration === undefined) {
      this.after.clear();
      return;
    }
    const hint = this.after.get(integration);
    if (hint !== undefined && (dueAt === undefined || dueAt <= hint.next_at)) this.after.delete(integration);
  }
}

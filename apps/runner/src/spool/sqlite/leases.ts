/**
 * The jobs in flight (leased), in the writer thread's memory only. The writer is the one
 * connection that claims, renews, records or expires them, so it knows them exactly, and a claim
 * writes nothing: the job stays pending (or retry) in the file until its result is recorded.
 * After a crash the memory is gone and every job in flight is simply due again, which is what its
 * lease expiring would have done. The runner's stats and delivery log show these jobs as
 * `inflight`; a second process reading the file (the CLI with -c) sees them as pending.
 */
interface Lease {
  integration: string;
  userKey: string;
  until: number;
  /** What the file says of it meanwhile (stats count it as in flight instead). */
  stored: 'pending' | 'retry';
}

export class Leases {
  private readonly byJob = new Map<number, Lease>();
  /** Per integration: its leased job ids. */
  private readonly byIntegration = new Map<string, Set<number>>();
  /** Per integration, per user: leased job ids (nested, not one key per pair: a claim adds a thousand at a time). */
  private readonly byUser = new Map<string, Map<string, Set<number>>>();

  add(id: number, integration: string, userKey: string, until: number, stored: 'pending' | 'retry'): void {
    this.remove(id);
    this.byJob.set(id, { integration, userKey, until, stored });
    getOrCreate(this.byIntegration, integration, newIds).add(id);
    getOrCreate(getOrCreate(this.byUser, integration, () => new Map<string, Set<number>>()), userKey, newIds).add(id);
  }

  /** Extends leases still held; returns the ids it extended. */
  renew(ids: readonly number[], until: number): number[] {
    const renewed: number[] = [];
    for (const id of ids) {
      const lease = this.byJob.get(id);
      if (lease === undefined) continue;
      lease.until = until;
      renewed.push(id);
    }
    return renewed;
  }

  remove(id: number): void {
    const lease = this.byJob.get(id);
    if (lease === undefined) return;
    this.byJob.delete(id);
    drop(this.byIntegration, lease.integration, id);
    const users = this.byUser.get(lease.integration);
    if (users !== undefined) {
      drop(users, lease.userKey, id);
      if (users.size === 0) this.byUser.delete(lease.integration);
    }
  }

  has(id: number): boolean {
    return this.byJob.has(id);
  }

  integrationOf(id: number): string | undefined {
    return this.byJob.get(id)?.integration;
  }

  /** Leased ids of a user in an integration (unordered). */
  ofUser(integration: string, userKey: string): ReadonlySet<number> | undefined {
    return this.byUser.get(integration)?.get(userKey);
  }

  /** Ids of an integration whose lease ended by `now`. */
  expired(integration: string, now: number): number[] {
    const ids = this.byIntegration.get(integration);
    if (ids === undefined) return [];
    const out: number[] = [];
    for (const id of ids) if (this.byJob.get(id)!.until <= now) out.push(id);
    return out;
  }

  /** Earliest lease end of an integration, or undefined. */
  earliest(integration: string): number | undefined {
    let min: number | undefined;
    for (const id of this.byIntegration.get(integration) ?? []) {
      const until = this.byJob.get(id)!.until;
      if (min === undefined || until < min) min = until;
    }
    return min;
  }

  /** Per integration: how many in flight (and of those, how many the file counts as pending or retry), and the oldest job id. */
  counts(): { integration: string; n: number; pending: number; retry: number; oldest: number }[] {
    return [...this.byIntegration].map(([integration, ids]) => {
      let retry = 0;
      let oldest = Infinity;
      for (const id of ids) {
        if (this.byJob.get(id)!.stored === 'retry') retry++;
        if (id < oldest) oldest = id;
      }
      return { integration, n: ids.size, pending: ids.size - retry, retry, oldest };
    });
  }

  ids(integration?: string): number[] {
    if (integration === undefined) return [...this.byJob.keys()];
    return [...(this.byIntegration.get(integration) ?? [])];
  }

  get size(): number {
    return this.byJob.size;
  }
}

const newIds = (): Set<number> => new Set();

function getOrCreate<V>(map: Map<string, V>, key: string, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

function drop(map: Map<string, Set<number>>, key: string, id: number): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

import { SignalError } from '@signal/core';
import { openSqliteSpool } from '../spool/sqlite.js';
import type { DeliveryEntry, JobState } from '../spool/types.js';
import { loadOrFail } from './common.js';

/** The runner's API could not be reached or refused the request. */
export class ApiError extends SignalError {
  readonly kind = 'api';
}

export interface LogTarget {
  deliveries(query: { integration?: string; state?: JobState | 'failed'; limit: number }): Promise<DeliveryEntry[]>;
  replay(filter: { integration?: string; state: JobState }): Promise<number>;
  close(): Promise<void>;
}

/**
 * Where `signal deliveries` / `signal replay` read: the SQLite file named by
 * the config (-c), or the running runner's API (--url), which also wakes its
 * engine after a replay.
 */
export async function openLogTarget(opts: { config?: string; url: string; token?: string }): Promise<LogTarget> {
  if (opts.config !== undefined) {
    const loaded = await loadOrFail(opts.config);
    if (loaded.sqlitePath === undefined) throw new ApiError('this config uses the nats spool; read the delivery log through the runner API instead (--url)');
    const spool = openSqliteSpool({ path: loaded.sqlitePath });
    return {
      deliveries: (q) => spool.deliveries(q),
      replay: (f) => spool.replay(f),
      close: () => spool.close(),
    };
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  const call = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${opts.url}${path}`, { ...init, headers });
    } catch {
      throw new ApiError(`cannot reach the runner at ${opts.url}. Fix: start it (signal start / signal dev), pass --url, or read the SQLite file directly with -c <config>`);
    }
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    if (!res.ok) throw new ApiError(`${opts.url}${path} answered HTTP ${res.status}: ${body.error ?? ''}${res.status === 401 ? ' (pass --token or set SIGNAL_ADMIN_TOKEN)' : ''}`);
    return body;
  };
  return {
    async deliveries(q) {
      const params = new URLSearchParams({ limit: String(q.limit) });
      if (q.integration !== undefined) params.set('integration', q.integration);
      if (q.state !== undefined) params.set('status', q.state);
      return ((await call(`/api/deliveries?${params}`)) as { deliveries: DeliveryEntry[] }).deliveries;
    },
    async replay(f) {
      return ((await call('/api/replay', { method: 'POST', body: JSON.stringify({ integration: f.integration, status: f.state }) })) as { replayed: number }).replayed;
    },
    close: async () => {},
  };
}

import { SignalError } from '@signal/core';
import { adminTokenPath, dataDirOf, readAdminTokenFile } from '../api/admin-token.js';
import { decideReplay, replayAnswer, type ReplayRequest } from '../api/replay-request.js';
import type { LoadedConfig } from '../config/load.js';
import { openSqliteSpool } from '../spool/sqlite.js';
import type { DeliveryEntry, JobState } from '../spool/types.js';
import { loadOrFail } from './common.js';

/** The runner's API could not be reached or refused the request. */
export class ApiError extends SignalError {
  readonly kind = 'api';
  constructor(
    message: string,
    /** No runner answered at all (connection refused, no route). */
    readonly unreachable = false,
  ) {
    super(message);
  }
}

export type ReplayOutcome = ReturnType<typeof replayAnswer>;

export interface LogTarget {
  deliveries(query: { integration?: string; state?: JobState | 'failed'; limit: number }): Promise<DeliveryEntry[]>;
  replay(request: ReplayRequest): Promise<ReplayOutcome>;
  close(): Promise<void>;
}

export interface LogTargetOptions {
  /** The runner's config (-c): gives the API address, the admin token and, for SQLite, the file to read when no runner answers. */
  config?: string;
  /** --url: wins over everything. */
  url?: string;
  /** --token: wins over everything. */
  token?: string;
  /** $SIGNAL_URL and $SIGNAL_ADMIN_TOKEN: used when neither a flag nor the config (-c) gives one. */
  fallback?: { url?: string; token?: string };
  /** Told when the SQLite file is read directly because no runner answered. */
  note?: (line: string) => void;
}

const defaultUrl = 'http://127.0.0.1:8080';

/** The shared flags of `deliveries` and `replay`, with their environment fallbacks; notes go to stderr. */
export function logTargetOptions(opts: { config?: string; url?: string; token?: string }): LogTargetOptions {
  const given = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  const url = given(opts.url);
  const token = given(opts.token);
  const envUrl = given(process.env['SIGNAL_URL']);
  const envToken = given(process.env['SIGNAL_ADMIN_TOKEN']);
  return {
    ...(opts.config === undefined ? {} : { config: opts.config }),
    ...(url === undefined ? {} : { url: url.replace(/\/+$/, '') }),
    ...(token === undefined ? {} : { token }),
    fallback: { ...(envUrl === undefined ? {} : { url: envUrl.replace(/\/+$/, '') }), ...(envToken === undefined ? {} : { token: envToken }) },
    note: (line) => process.stderr.write(`signal: ${line}\n`),
  };
}

/** Where a config's runner answers; undefined for port 0 (any free port: unknowable from the file). */
function urlOf(loaded: LoadedConfig): string | undefined {
  const { host, port } = loaded.config.server;
  if (port === 0) return undefined;
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

/** The admin token a config's runner uses: server.admin_token, else the one `signal start` stored in the data directory. */
function tokenOf(loaded: LoadedConfig): string | undefined {
  return loaded.config.server.admin_token ?? readAdminTokenFile(adminTokenPath(dataDirOf(loaded)));
}

function apiTarget(url: string, token: string | undefined, tokenHint: string): LogTarget {
  const call = async (path: string, body?: unknown): Promise<unknown> => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch {
      throw new ApiError(`cannot reach the runner at ${url}. Fix: start it (signal start / signal dev), pass --url, or give its config with -c <file>`, true);
    }
    const answer = (await res.json().catch(() => ({}))) as { error?: string };
    if (!res.ok) throw new ApiError(`${url}${path} answered HTTP ${res.status}: ${answer.error ?? ''}${res.status === 401 ? ` (${tokenHint})` : ''}`);
    return answer;
  };
  return {
    async deliveries(q) {
      const params = new URLSearchParams({ limit: String(q.limit) });
      if (q.integration !== undefined) params.set('integration', q.integration);
      if (q.state !== undefined) params.set('status', q.state);
      return ((await call(`/api/deliveries?${params}`)) as { deliveries: DeliveryEntry[] }).deliveries;
    },
    replay: async (request) => (await call('/api/replay', request)) as ReplayOutcome,
    close: async () => {},
  };
}

/** The SQLite file itself, for when no runner is up; replay follows the API's rule. */
function fileTarget(loaded: LoadedConfig, path: string): LogTarget {
  const spool = openSqliteSpool({ path });
  const known = new Set(loaded.integrations.map((i) => i.integration.id));
  return {
    deliveries: (q) => spool.deliveries(q),
    async replay(request) {
      const decision = decideReplay(request, known);
      if (!decision.ok) throw new ApiError(decision.error);
      return replayAnswer(await spool.replay(decision.filter), decision);
    },
    close: () => spool.close(),
  };
}

/**
 * Where `signal deliveries` / `signal replay` go: the running runner's API
 * (which also wakes its engine after a replay). Address: --url, else the
 * config's (-c), else $SIGNAL_URL. Admin token: --token, else the config's
 * (server.admin_token, else the data directory's admin-token file), else
 * $SIGNAL_ADMIN_TOKEN.
 * With a SQLite config and no runner answering, the file is read directly.
 */
export async function openLogTarget(opts: LogTargetOptions): Promise<LogTarget> {
  const loaded = opts.config === undefined ? undefined : await loadOrFail(opts.config);
  const url = opts.url ?? (loaded === undefined ? (opts.fallback?.url ?? defaultUrl) : (urlOf(loaded) ?? opts.fallback?.url));
  const token = opts.token ?? (loaded === undefined ? undefined : tokenOf(loaded)) ?? opts.fallback?.token;
  const hint =
    opts.token !== undefined || (loaded === undefined && token !== undefined)
      ? "the token given does not match the runner's admin token"
      : loaded === undefined
        ? "pass --token, set SIGNAL_ADMIN_TOKEN, or give the runner's config with -c"
        : token === undefined
          ? `the config has no server.admin_token and ${adminTokenPath(dataDirOf(loaded))} does not exist; pass --token`
          : "the config's admin token does not match the running runner's; pass --token";
  const sqlitePath = loaded?.sqlitePath;
  if (url === undefined) {
    // port 0 in the config: no address to call.
    if (loaded !== undefined && sqlitePath !== undefined) return fileTarget(loaded, sqlitePath);
    throw new ApiError('the config listens on port 0 (any free port), so its address is unknown. Fix: pass --url');
  }
  const api = apiTarget(url, token, hint);
  if (loaded === undefined || sqlitePath === undefined) return api;

  let file: LogTarget | undefined;
  const either = async <T>(useApi: (t: LogTarget) => Promise<T>): Promise<T> => {
    if (file === undefined) {
      try {
        return await useApi(api);
      } catch (error) {
        if (!(error instanceof ApiError) || !error.unreachable) throw error;
        opts.note?.(`no runner answers at ${url}; reading the SQLite file ${sqlitePath} directly`);
        file = fileTarget(loaded, sqlitePath);
      }
    }
    return useApi(file);
  };
  return {
    deliveries: (q) => either((t) => t.deliveries(q)),
    replay: (r) => either((t) => t.replay(r)),
    close: async () => {
      await file?.close();
    },
  };
}

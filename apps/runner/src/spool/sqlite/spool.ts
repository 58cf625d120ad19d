import type { Worker } from 'node:worker_threads';
import { userKeyOf, type Exchange, type SignalEvent } from '@signal/core';
import { SpoolError } from '../errors.js';
import { traitKeys } from '../traits.js';
import type { AppendResult, Job, JobUpdate, Spool, SpoolHealth } from '../types.js';
import { packLog, type PackedLog } from './log-codec.js';
import { appendFields, jobFields, type Op, type Request, type Response, type StoreOptions } from './protocol.js';
import { openDatabase } from './store.js';
import { createWalSync } from './wal-sync.js';
import { startWriterThread } from './writer-thread.js';

export interface SqliteSpoolOptions {
  /** Database file; parent directories are created. `:memory:` works for throwaway use. */
  path: string;
  /** Clock for created/updated times and the dedupe window (tests inject one). */
  now?: () => number;
  /**
   * Longest request/response body kept in the delivery log, in characters. A 1000-record
   * batch body can be ~1 MB; each job's own mapped payload is kept whole in its attempt anyway.
   */
  maxExchangeBodyChars?: number;
  /** Caps the file at this many pages (SQLite's max_page_count): writes past it fail as on a full disk. Tests use it. */
  maxPageCount?: number;
  /**
   * Message ids dedupe per source over this look-back (config `storage.dedupe_window`): the ids of
   * events stored in the last `windowMs`, at most the latest `maxIds` (about 22 to 28 bytes each
   * in memory, see dedupe-window.ts). Defaults: 24 hours, 2,000,000 ids.
   */
  dedupe?: { windowMs?: number; maxIds?: number };
}

export const dedupeDefaults = { windowMs: 24 * 3_600_000, maxIds: 2_000_000 };

export interface SqliteSpool extends Spool {
  readonly driver: 'sqlite';
  /** Append transactions committed so far (group commit: fewer than append() calls under load). */
  readonly appendTransactions: number;
  /**
   * Deletes final jobs (delivered, rejected, dropped, dead) last updated before `before`, with
   * their attempts, and events nothing refers to any more. At most `limit` jobs per call, so the
   * writer thread never holds up appends for long. Returns how many jobs were deleted; call
   * again while it returns `limit`.
   */
  prune(options: { before: number; limit?: number }): Promise<number>;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  what: string;
  /** A complete request (see heldResults). */
  result: boolean;
}

type Outbound = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

const what: Record<Op, string> = {
  append: 'store events',
  claim: 'claim jobs',
  renew: 'renew leases',
  complete: 'record delivery results',
  replay: 'replay jobs',
  stats: 'read queue stats',
  backlog: 'count the backlog',
  deliveries: 'read the delivery log',
  event: 'read an event',
  findEvents: 'search events',
  probe: 'write to the spool',
  nextDueAt: 'read the next due time',
  prune: 'prune the delivery log',
  close: 'close the spool',
};

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters not kept]`;
}

/**
 * The embedded spool: one SQLite file in WAL mode, written by one connection on a writer thread
 * (worker.ts), so the main thread parses and serves HTTP while a commit and its fsync run on the
 * other core. A resolved append() is on disk: the writer commits it, then this thread syncs the
 * WAL (wal-sync.ts) while the writer goes on with the next group. Requests made
 * in one event-loop turn go to the writer as one message; appends that reach it while it is busy
 * share the next transaction (group commit).
 */
export function openSqliteSpool(options: SqliteSpoolOptions): SqliteSpool {
  const now = options.now ?? Date.now;
  const maxBody = options.maxExchangeBodyChars ?? 64 * 1024;
  const storeOptions: StoreOptions = {
    path: options.path,
    ...(options.maxPageCount === undefined ? {} : { maxPageCount: options.maxPageCount }),
    dedupe: { ...dedupeDefaults, ...options.dedupe },
  };
  // Opened here first, synchronously: a bad path or a newer file fails now, with the fix, and the
  // schema upgrade runs before the writer starts.
  let lastJobId: number;
  try {
    const db = openDatabase(storeOptions);
    lastJobId = db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM jobs').get()?.id ?? 0;
    db.close();
  } catch (error) {
    throw new SpoolError(`cannot open the SQLite spool at ${options.path}: ${(error as Error).message}`, error);
  }
  const walSync = createWalSync(options.path === ':memory:' ? undefined : `${options.path}-wal`, lastJobId);
  const worker: Worker = startWriterThread(storeOptions);

  const pending = new Map<number, Pending>();
  let nextId = 1;
  let outbox: Request[] = [];
  let flushScheduled = false;
  let appendTransactions = 0;
  let closed = false;
  /** Why the writer thread is gone, if it died. */
  let dead: string | undefined;
  /** The latest append's failure, until an append succeeds again (health()). */
  let writeFailure: { reason: string; since: number } | undefined;

  // The thread keeps the process alive only while it owes answers (an idle spool never blocks exit).
  worker.unref();
  const track = (): void => {
    if (pending.size > 0 || closed) worker.ref();
    else worker.unref();
  };

  const flush = (): void => {
    flushScheduled = false;
    const batch = outbox;
    outbox = [];
    if (batch.length > 0) worker.postMessage(batch);
  };

  const schedule = (): void => {
    if (!flushScheduled) {
      flushScheduled = true;
      // Everything asked for in this turn travels as one message.
      setImmediate(flush);
    }
  };

  /**
   * Results wait while one is with the writer, then travel together: the store records results
   * next to each other in one transaction. An unbatched webhook otherwise pays a message each way
   * and a commit per event. (Their jobs stay leased meanwhile, so no claim hands them out again.)
   */
  let resultsWithWriter = 0;
  let heldResults: Request[] = [];
  const sendHeldResults = (): void => {
    if (heldResults.length === 0) return;
    resultsWithWriter = heldResults.length;
    outbox.push(...heldResults);
    heldResults = [];
    schedule();
  };

  const send = <T>(request: Outbound): Promise<T> => {
    if (closed) return Promise.reject(new SpoolError(`cannot ${what[request.op]}: the spool is closed`));
    if (dead !== undefined) return Promise.reject(new SpoolError(`cannot ${what[request.op]}: ${dead}`));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject, what: what[request.op], result: request.op === 'complete' });
      track();
      if (request.op === 'complete' && resultsWithWriter > 0) {
        heldResults.push({ ...request, id });
        return;
      }
      if (request.op === 'complete') resultsWithWriter++;
      outbox.push({ ...request, id } as Request);
      schedule();
    });
  };

  worker.on('message', (responses: Response[]) => {
    /** Appends the writer committed: answered once the WAL is synced. */
    const committed: [Pending, unknown][] = [];
    let lastJob: number | undefined;
    for (const r of responses) {
      const p = pending.get(r.id);
      if (p === undefined) continue;
      pending.delete(r.id);
      if (r.appendTransactions !== undefined) {
        appendTransactions = r.appendTransactions;
        if (r.ok) {
          committed.push([p, r.value]);
          if (r.lastJobId !== undefined) lastJob = Math.max(lastJob ?? 0, r.lastJobId);
          continue;
        }
        writeFailure = { reason: r.error, since: now() };
      }
      if (p.result && --resultsWithWriter === 0) sendHeldResults();
      if (r.ok) p.resolve(r.value);
      else p.reject(new SpoolError(`cannot ${p.what}: ${r.error}`));
    }
    if (committed.length > 0) {
      walSync.afterCommit(lastJob, (error) => {
        if (error === undefined) writeFailure = undefined;
        else writeFailure = { reason: error.message, since: now() };
        for (const [p, value] of committed) {
          if (error === undefined) p.resolve(value);
          else p.reject(new SpoolError(`cannot ${p.what}: ${error.message}`));
        }
      });
    }
    track();
  });
  const fail = (reason: string): void => {
    dead ??= reason;
    for (const p of pending.values()) p.reject(new SpoolError(`cannot ${p.what}: ${reason}`));
    pending.clear();
  };
  worker.on('error', (error) => fail(`the SQLite writer thread failed: ${error.message}`));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      fail(closed ? 'the spool is closed' : `the SQLite writer thread exited (code ${code})`);
      resolve();
    }),
  );

  const toJobs = (rows: (string | number | null)[]): Job[] => {
    const jobs: Job[] = [];
    for (let i = 0; i < rows.length; i += jobFields) {
      const body = rows[i + 7] as string | null;
      if (body === null) throw new SpoolError(`job ${rows[i]} has no event; the spool file is damaged`);
      const firstAttemptAt = rows[i + 5] as number | null;
      const batch = rows[i + 6] as string | null;
      jobs.push({
        id: String(rows[i]),
        integration: rows[i + 1] as string,
        messageId: rows[i + 2] as string,
        userKey: rows[i + 3] as string,
        event: JSON.parse(body) as SignalEvent,
        attempts: rows[i + 4] as number,
        ...(firstAttemptAt === null ? {} : { firstAttemptAt }),
        ...(batch === null ? {} : { batch }),
      });
    }
    return jobs;
  };

  /** The flat updates for the writer, and the call's attempt records and exchanges packed for attempt_log (log-codec.ts). */
  const encodeUpdates = (updates: JobUpdate[]): { records: PackedLog | null; exchanges: PackedLog | null; flat: (string | number | null)[] } => {
    const exchanges: string[] = [];
    const known = new Map<Exchange, number>();
    const exchangeIndex = (exchange: Exchange | undefined): number => {
      if (exchange === undefined) return -1;
      let i = known.get(exchange);
      if (i === undefined) {
        const kept: Exchange = {
          ...exchange,
          request: { ...exchange.request, body: truncate(exchange.request.body, maxBody) },
          ...(exchange.response === undefined ? {} : { response: { ...exchange.response, body: truncate(exchange.response.body, maxBody) } }),
        };
        i = exchanges.push(JSON.stringify(kept)) - 1;
        known.set(exchange, i);
      }
      return i;
    };
    // A batch's records usually share one result object (every delivered record of a response): encoded once.
    const resultTexts = new Map<object, string>();
    const resultText = (result: object): string => {
      let text = resultTexts.get(result);
      if (text === undefined) resultTexts.set(result, (text = JSON.stringify(result)));
      return text;
    };
    const flat: (string | number | null)[] = [];
    const records: string[] = [];
    for (const u of updates) {
      const id = Number(u.job.id);
      if (u.state === 'release') {
        flat.push(id, 'release', 0, u.retryAt ?? null, null, null);
        continue;
      }
      const { attempt } = u;
      const result = resultText(attempt.result);
      const x = exchangeIndex(attempt.exchange);
      const payload = attempt.payloadJson ?? (attempt.payload === undefined ? undefined : JSON.stringify(attempt.payload));
      records.push(`{"at":${attempt.at},"result":${result}${x >= 0 ? `,"x":${x}` : ''}${payload === undefined ? '' : `,"payload":${payload}`}}`);
      flat.push(id, u.state, attempt.at, u.state === 'retry' ? u.retryAt : null, result, u.state === 'retry' ? (u.batch ?? null) : null);
    }
    if (records.length === 0) return { records: null, exchanges: null, flat };
    return { records: packLog(records), exchanges: packLog(exchanges), flat };
  };

  const outcomeNames = { s: 'stored', d: 'duplicate' } as const;

  return {
    driver: 'sqlite',
    get appendTransactions() {
      return appendTransactions;
    },

    async append(items) {
      if (closed) throw new SpoolError('cannot store events: the spool is closed');
      if (items.length === 0) return { outcomes: [] };
      const events: (string | number | null)[] = new Array(items.length * appendFields);
      try {
        items.forEach((item, i) => {
          const e = item.event;
          const o = i * appendFields;
          events[o] = e.message_id;
          events[o + 1] = item.source;
          events[o + 2] = userKeyOf(e);
          events[o + 3] = e.type;
          events[o + 4] = e.event ?? e.name ?? null;
          events[o + 5] = JSON.stringify(e);
          events[o + 6] = traitKeys(e).join('\n');
          events[o + 7] = e.type === 'identify' && Object.keys(e.traits).length > 0 ? 1 : 0;
          events[o + 8] = item.integrations.join('\n');
        });
      } catch (error) {
        throw new SpoolError(`cannot store events: ${(error as Error).message}`, error);
      }
      const outcomes = await send<string>({ op: 'append', at: now(), events });
      return { outcomes: Array.from(outcomes, (c) => outcomeNames[c as 's' | 'd']) } satisfies AppendResult;
    },

    claim: async (integration, opts) =>
      opts.limit <= 0 ? [] : toJobs(await send({ op: 'claim', integration, limit: opts.limit, now: opts.now, leaseMs: opts.leaseMs, durableJobId: walSync.durableJobId })),

    renew: async (jobs, opts) => (jobs.length === 0 ? undefined : send({ op: 'renew', jobIds: jobs.map((j) => Number(j.id)), until: opts.now + opts.leaseMs })),

    complete: async (updates) => {
      if (updates.length === 0) return;
      const { records, exchanges, flat } = encodeUpdates(updates);
      await send({ op: 'complete', at: now(), records, exchanges, updates: flat });
    },

    replay: (filter) => send({ op: 'replay', at: now(), filter }),

    stats: () => send({ op: 'stats', at: now() }),

    backlog: () => send({ op: 'backlog' }),

    health: (): SpoolHealth => {
      if (closed) return { writable: false, reason: 'the spool is closed' };
      if (dead !== undefined) return { writable: false, reason: dead };
      return writeFailure === undefined ? { writable: true } : { writable: false, ...writeFailure };
    },

    deliveries: (query) => send({ op: 'deliveries', query }),

    event: (messageId, source) => send({ op: 'event', messageId, ...(source === undefined ? {} : { source }) }),

    findEvents: (query) => send({ op: 'findEvents', query }),

    probeWrite: async () => {
      await send({ op: 'probe' });
      writeFailure = undefined;
    },

    nextDueAt: (integration) => send({ op: 'nextDueAt', integration, durableJobId: walSync.durableJobId }),

    prune: ({ before, limit = 10_000 }) => send({ op: 'prune', before, limit: Math.max(1, limit) }),

    async close() {
      if (closed) return;
      // Whatever was asked before close() is still answered; then the thread closes the file and ends.
      const last = dead === undefined ? send({ op: 'close' }).catch(() => undefined) : Promise.resolve();
      closed = true;
      // Results still held go before the close (the last request): the writer answers them first.
      outbox.splice(Math.max(0, outbox.length - 1), 0, ...heldResults);
      heldResults = [];
      // Until the thread has closed the file and ended, it keeps the process alive (else a CLI
      // command that only read could end with close() still pending).
      if (dead === undefined) worker.ref();
      flush();
      await last;
      await exited;
      // Closing the file checkpointed the WAL into it, synced; appends still waiting are answered now.
      walSync.flushSync();
    },
  };
}

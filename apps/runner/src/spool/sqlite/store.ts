import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ClaimHints } from './claim-hints.js';
import { createClaims } from './claims.js';
import { createDeliveryLog } from './delivery-log.js';
import { Leases } from './leases.js';
import { createMessageIndex } from './message-index.js';
import type { Request, Response, StoreOptions } from './protocol.js';
import { createReplay } from './replay.js';
import { createResults } from './results.js';
import { createRetention } from './retention.js';
import { ensureSchema } from './schema.js';
import { createWriter, type AppendCall } from './writer.js';

/**
 * The SQLite store: the one connection that writes the spool file, and every operation on it,
 * synchronous. It runs on the writer thread (worker.ts); tests drive it directly too.
 */
export interface Store {
  /**
   * Runs a batch of requests: first every request but the appends, in arrival order, each
   * answered when done (results next to each other in one transaction); then all the appends in
   * one transaction (group commit) at synchronous=NORMAL, answered with the highest job id made;
   * the front answers its callers once wal-sync.ts has synced the WAL. (Appends not yet answered
   * promise nothing, so a claim in the same batch need not see them.)
   */
  process(requests: readonly Request[], reply: (responses: Response[]) => void): void;
  readonly appendTransactions: number;
  /** Transactions that recorded results (complete requests next to each other share one). */
  readonly resultTransactions: number;
  close(): void;
}

/** Opens the file (creating parent directories), sets it up and upgrades its schema. */
export function openDatabase(options: Pick<StoreOptions, 'path' | 'maxPageCount'>): Database.Database {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    // Everything commits at NORMAL: a lost claim or result only means a redelivery
    // (at-least-once), and the front answers appends only after wal-sync.ts synced the WAL.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = OFF');
    db.pragma('cache_size = -32000');
    db.pragma('busy_timeout = 5000');
    if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.floor(options.maxPageCount)}`);
    ensureSchema(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

export function openStore(options: StoreOptions): Store {
  const db = openDatabase(options);
  const index = createMessageIndex(db);
  const writer = createWriter(db, { dedupe: options.dedupe, index });
  const leases = new Leases();
  const hints = new ClaimHints();
  const claims = createClaims(db, leases, hints);
  const results = createResults(db, leases, hints);
  const log = createDeliveryLog(db, index, leases);
  const replay = createReplay(db, log.eventSeqs);
  const retention = createRetention(db);

  /**
   * Whether the file system takes writes again: 64 KB written and fsynced next to the file (the
   * WAL may still have room for a one-row update while an append of a batch does not), then a
   * durable update of one row.
   */
  const probeFile = options.path === ':memory:' ? undefined : `${options.path}.probe`;
  const probeUpdate = db.prepare(`UPDATE spool_meta SET value = value WHERE key = 'keys_indexed_below'`);
  const probe = (): void => {
    if (probeFile !== undefined) {
      const fd = openSync(probeFile, 'w');
      try {
        writeSync(fd, Buffer.alloc(64 * 1024));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
        rmSync(probeFile, { force: true });
      }
    }
    db.pragma('synchronous = FULL');
    try {
      probeUpdate.run();
    } finally {
      db.pragma('synchronous = NORMAL');
    }
  };
  let appendTransactions = 0;
  const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

  /**
   * Appends: one transaction for all; if it fails, one each, so one bad request does not fail its
   * neighbours. Returns the responses as committed (not yet synced) and the highest job id made.
   */
  const runAppends = (appends: Extract<Request, { op: 'append' }>[]): { responses: Response[]; lastJobId: number | undefined } => {
    const calls: AppendCall[] = appends;
    try {
      const { outcomes, lastJobId } = writer.appendAll(calls);
      appendTransactions++;
      return { responses: appends.map((a, i) => ({ id: a.id, ok: true, value: outcomes[i] })), lastJobId };
    } catch (error) {
      if (appends.length === 1) return { responses: [{ id: appends[0]!.id, ok: false, error: message(error) }], lastJobId: undefined };
      let last: number | undefined;
      const responses = appends.map((a): Response => {
        try {
          const { outcomes, lastJobId } = writer.appendAll([a]);
          appendTransactions++;
          if (lastJobId !== undefined) last = lastJobId;
          return { id: a.id, ok: true, value: outcomes[0] };
        } catch (inner) {
          return { id: a.id, ok: false, error: message(inner) };
        }
      });
      return { responses, lastJobId: last };
    }
  };

  const run = (r: Exclude<Request, { op: 'append' | 'complete' }>): unknown => {
    switch (r.op) {
      case 'claim':
        return claims.claim(r.integration, { limit: r.limit, now: r.now, leaseMs: r.leaseMs }, r.durableJobId);
      case 'renew':
        return claims.renew(r.jobIds, r.until);
      case 'replay':
        // Replayed jobs are due now, possibly before a claim hint (claim-hints.ts).
        hints.dueAgain(undefined);
        return replay.replay(r.at, r.filter);
      case 'stats':
        return log.stats(r.at);
      case 'backlog':
        return log.backlog();
      case 'deliveries':
        return log.deliveries(r.query);
      case 'event':
        return log.event(r.messageId, r.source);
      case 'findEvents':
        return log.findEvents(r.query);
      case 'nextDueAt':
        return claims.nextDueAt(r.integration, r.durableJobId);
      case 'prune':
        return retention.prune(r.before, r.limit);
      case 'probe':
        probe();
        return undefined;
      case 'close':
        return undefined;
    }
  };

  return {
    get appendTransactions() {
      return appendTransactions;
    },
    get resultTransactions() {
      return results.transactions;
    },
    process(requests, reply) {
      // Everything but appends first, in arrival order: claims and results then wait for no
      // fsync but one already under way, and the appends that arrived meanwhile still share one.
      // Results next to each other share a transaction (as appends do; they commit without fsync).
      const appends: Extract<Request, { op: 'append' }>[] = [];
      let completes: Extract<Request, { op: 'complete' }>[] = [];
      const recordCompletes = (): void => {
        if (completes.length === 0) return;
        const errors = results.completeAll(completes);
        reply(completes.map((c, i): Response => (errors[i] === undefined ? { id: c.id, ok: true, value: undefined } : { id: c.id, ok: false, error: errors[i] })));
        completes = [];
      };
      for (const r of requests) {
        if (r.op === 'append') {
          appends.push(r);
          continue;
        }
        if (r.op === 'complete') {
          completes.push(r);
          continue;
        }
        recordCompletes();
        let response: Response;
        try {
          response = { id: r.id, ok: true, value: run(r) };
        } catch (error) {
          response = { id: r.id, ok: false, error: message(error) };
        }
        reply([response]);
      }
      recordCompletes();
      if (appends.length === 0) return;
      const { responses, lastJobId } = runAppends(appends);
      reply(responses.map((res) => ({ ...res, appendTransactions, ...(lastJobId === undefined ? {} : { lastJobId }) })));
    },
    close() {
      db.close();
    },
  };
}

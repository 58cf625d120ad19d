import type { DeliveryQuery, EventQuery, JobState } from '../types.js';
import type { PackedLog } from './log-codec.js';

/**
 * Messages between the spool's front (main thread, spool.ts) and its store (the writer thread,
 * store.ts). Rows travel as flat arrays of strings and numbers, a fixed number of fields per
 * row: cheap to copy between threads (one array, no object per event), and the front has
 * already serialised what the store writes (event bodies, payloads), so the store thread only
 * runs SQL.
 */

/**
 * Fields per event of an append, in this order: message id, source, user key, event type, event
 * name (or null), the event as JSON, its trait keys joined by "\n" ('' when none), 1 if it is an
 * identify carrying traits else 0, the integration ids it is routed to joined by "\n".
 */
export const appendFields = 9;

/** Fields per claimed job: id, integration, message id, user key, attempts, first attempt at (or null), batch tag (or null), event JSON. */
export const jobFields = 8;

/**
 * Fields per job update: job id, state ('release' or a JobUpdate state), attempt time, retry-at
 * (or null), result JSON (null for a release), batch tag (or null). Every update that is not a
 * release is one attempt: the call's `records` hold them in that order.
 */
export const updateFields = 6;

export type Request =
  | { op: 'append'; id: number; at: number; events: (string | number | null)[] }
  /** `durableJobId`: the highest job id the front has seen synced (wal-sync.ts); claims take none above it. */
  | { op: 'claim'; id: number; integration: string; limit: number; now: number; leaseMs: number; durableJobId: number }
  | { op: 'renew'; id: number; jobIds: number[]; until: number }
  /**
   * `records`: the attempts of this call ({at, result, x, payload}, one per update that is not a
   * release, in order) and `exchanges`: each redacted, truncated exchange of the call once, both
   * packed by log-codec.ts (null: no attempt).
   */
  | { op: 'complete'; id: number; at: number; records: PackedLog | null; exchanges: PackedLog | null; updates: (string | number | null)[] }
  | { op: 'replay'; id: number; at: number; filter: { integration?: string; state?: JobState; messageIds?: string[] } }
  | { op: 'stats'; id: number; at: number }
  | { op: 'backlog'; id: number }
  | { op: 'deliveries'; id: number; query: DeliveryQuery }
  | { op: 'event'; id: number; messageId: string; source?: string }
  | { op: 'findEvents'; id: number; query: EventQuery }
  | { op: 'nextDueAt'; id: number; integration: string; durableJobId: number }
  | { op: 'prune'; id: number; before: number; limit: number }
  | { op: 'probe'; id: number }
  | { op: 'close'; id: number };

export type Op = Request['op'];

export type Response =
  /**
   * Append replies: `appendTransactions`, the store's count after this reply (group commits so
   * far); `lastJobId`, the highest job id of its commit (committed, not yet synced: wal-sync.ts).
   */
  | { id: number; ok: true; value: unknown; appendTransactions?: number; lastJobId?: number }
  | { id: number; ok: false; error: string; appendTransactions?: number; lastJobId?: number };

/** What the front passes to the store thread when it starts. */
export interface StoreOptions {
  path: string;
  maxPageCount?: number;
  dedupe: { windowMs: number; maxIds: number };
}

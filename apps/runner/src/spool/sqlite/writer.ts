import type Database from 'better-sqlite3';
import type { SignalEvent } from '@signal/core';
import { applyTraitsMemory, mergeRemembered, type Traits } from '../traits.js';
import { DedupeWindow } from './dedupe-window.js';
import { idHash } from './id-hash.js';
import type { MessageIndex } from './message-index.js';
import { appendFields } from './protocol.js';

/** One append() call as the writer gets it: its time and its events (protocol.ts, appendFields per event). */
export interface AppendCall {
  at: number;
  events: readonly (string | number | null)[];
}

export interface Writer {
  /**
   * Stores these append() calls in one transaction (group commit), at synchronous=NORMAL: the
   * caller answers them once wal-sync.ts has synced the WAL. Per call, one character per event:
   * 's' stored, 'd' duplicate; `lastJobId`: the highest job id it created (undefined: none).
   * Throws if the transaction failed (nothing of it is stored, and the dedupe window forgets its ids).
   */
  appendAll(calls: readonly AppendCall[]): { outcomes: string[]; lastJobId: number | undefined };
}

export interface WriterOptions {
  dedupe: { windowMs: number; maxIds: number };
  index: MessageIndex;
}

/** Job row for insertJobs: [event_seq, integration, message_id, user_key, event_type, event_name]. */
type JobRowInput = [number, string, string, string, string, string | null];

export function createWriter(db: Database.Database, options: WriterOptions): Writer {
  const { index } = options;
  const q = {
    // One lookup per append transaction for all its users (json_each: a JSON array of keys).
    findTraits: db.prepare<[string], { user_key: string; traits: string }>(
      'SELECT user_key, traits FROM user_traits WHERE user_key IN (SELECT value FROM json_each(?))',
    ),
    saveTraits: db.prepare('INSERT INTO user_traits (user_key, traits, updated_at) VALUES (?, ?, ?) ON CONFLICT(user_key) DO UPDATE SET traits = excluded.traits, updated_at = excluded.updated_at'),
    insertEvent: db.prepare('INSERT INTO events (message_id, source, id_hash, received_at, body) VALUES (?, ?, ?, ?, ?)'),
    // A dedupe candidate, confirmed (or not) by its row.
    eventKey: db.prepare<[number], { message_id: string; source: string }>('SELECT message_id, source FROM events WHERE seq = ?'),
    // All jobs of an append transaction in one statement. json_each walks the array in order, so job ids
    // follow append order (per-user order depends on it); ORDER BY key would only add a sort.
    insertJobs: db.prepare(
      `INSERT INTO jobs (event_seq, integration, message_id, user_key, event_type, event_name, state, next_at, created_at, updated_at)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, 'pending', ?, ?, ? FROM json_each(?)`,
    ),
    maxSeq: db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM events'),
    minSeq: db.prepare<[], { seq: number | null }>('SELECT MIN(seq) AS seq FROM events'),
    firstFrom: db.prepare<[number], { seq: number; received_at: number }>('SELECT seq, received_at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1'),
    windowRows: db.prepare<[number], { seq: number; id_hash: number; received_at: number }>('SELECT seq, id_hash, received_at FROM events WHERE seq >= ? ORDER BY seq'),
  };

  let window: DedupeWindow | undefined;

  /**
   * The window is rebuilt from the events themselves (their id_hash and received_at) on the first
   * append, not on open: a spool opened only to read the delivery log never pays for it.
   */
  const windowAt = (at: number): DedupeWindow => {
    if (window !== undefined) return window;
    const w = new DedupeWindow(options.dedupe);
    const last = q.maxSeq.get()?.seq ?? null;
    if (last !== null) {
      // Seqs grow with received_at: binary-search the first seq inside the window, then apply the count bound.
      let lo = q.minSeq.get()?.seq ?? last;
      let hi = last + 1;
      const cutoff = at - w.windowMs;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const row = q.firstFrom.get(mid);
        if (row === undefined || row.received_at >= cutoff) hi = mid;
        else lo = row.seq + 1;
      }
      const from = Math.max(lo, last - w.maxIds + 1);
      for (const row of q.windowRows.iterate(from)) w.add(row.id_hash, row.seq, row.received_at);
      w.expire(at);
    }
    window = w;
    return w;
  };

  /** Remembered traits of every user in these calls, by trait key (absent: nothing remembered). */
  const loadTraits = (calls: readonly AppendCall[]): Map<string, Traits> => {
    const keys = new Set<string>();
    for (const call of calls) {
      for (let i = 6; i < call.events.length; i += appendFields) {
        const joined = call.events[i] as string;
        if (joined !== '') for (const key of joined.split('\n')) keys.add(key);
      }
    }
    const known = new Map<string, Traits>();
    if (keys.size === 0) return known;
    for (const row of q.findTraits.all(JSON.stringify([...keys]))) known.set(row.user_key, JSON.parse(row.traits) as Traits);
    return known;
  };

  const isDuplicate = (w: DedupeWindow, hash: number, messageId: string, source: string): boolean => {
    for (const seq of w.candidates(hash)) {
      const row = q.eventKey.get(seq);
      if (row !== undefined && row.message_id === messageId && row.source === source) return true;
    }
    return false;
  };

  const appendTx = db.transaction((calls: readonly AppendCall[]): { outcomes: string[]; lastJobId: number | undefined } => {
    const at = calls[calls.length - 1]!.at;
    const w = windowAt(at);
    w.expire(at);
    const known = loadTraits(calls);
    const jobs: JobRowInput[] = [];
    const routes = new Map<string, string[]>();
    let lastSeq = -1;
    const outcomes = calls.map((call) => {
      let out = '';
      const e = call.events;
      for (let i = 0; i < e.length; i += appendFields) {
        const messageId = e[i] as string;
        const source = e[i + 1] as string;
        const hash = idHash(messageId);
        if (isDuplicate(w, hash, messageId, source)) {
          out += 'd';
          continue;
        }
        let body = e[i + 5] as string;
        const keys = e[i + 6] === '' ? [] : (e[i + 6] as string).split('\n');
        const identify = e[i + 7] === 1;
        let remember: Traits | undefined;
        if (identify || keys.some((k) => known.has(k))) {
          // Only events that carry or meet remembered traits are parsed again (see traits.ts).
          const event = JSON.parse(body) as SignalEvent;
          const applied = applyTraitsMemory(event, mergeRemembered(keys.map((key) => known.get(key))));
          if (applied.event !== event) body = JSON.stringify(applied.event);
          remember = applied.remember;
        }
        const seq = Number(q.insertEvent.run(messageId, source, hash, at, body).lastInsertRowid);
        lastSeq = seq;
        w.add(hash, seq, at);
        if (remember !== undefined) {
          const text = JSON.stringify(remember);
          for (const key of keys) {
            q.saveTraits.run(key, text, at);
            known.set(key, remember);
          }
        }
        const joined = e[i + 8] as string;
        let integrations = routes.get(joined);
        if (integrations === undefined) {
          integrations = joined === '' ? [] : [...new Set(joined.split('\n'))];
          routes.set(joined, integrations);
        }
        const userKey = e[i + 2] as string;
        const type = e[i + 3] as string;
        const name = e[i + 4] as string | null;
        for (const integration of integrations) jobs.push([seq, integration, messageId, userKey, type, name]);
        out += 's';
      }
      return out;
    });
    const lastJobId = jobs.length > 0 ? Number(q.insertJobs.run(at, at, at, JSON.stringify(jobs)).lastInsertRowid) : undefined;
    if (lastSeq >= 0) index.catchUp(lastSeq);
    return { outcomes, lastJobId };
  });

  return {
    appendAll(calls) {
      const mark = window?.mark();
      try {
        return appendTx(calls);
      } catch (error) {
        if (mark !== undefined) window?.rollback(mark);
        else window = undefined;
        index.reload();
        throw error;
      }
    },
  };
}

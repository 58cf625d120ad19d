import { randomBytes } from 'node:crypto';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { AppendItem, AppendResult } from '../types.js';
import { NatsSpoolError } from './errors.js';
import type { EventIndex } from './event-index.js';
import { idHash } from './id-window.js';
import { token, type Names } from './names.js';
import { commitHeader, idsHeader, sourcesHeader } from './records.js';
import type { TraitsMemory } from './traits.js';
import { JetStreamApiFailure, type Wire } from './wire.js';

/** Commits waiting for their acks at once; more appends wait and join the next commit. */
const maxInflight = 8;
/**
 * While a commit is being written, the next starts only once this many items wait (one full
 * /v1/batch request). Every commit costs three JetStream round trips in a row (the traits check,
 * the WORK chunks, then EVENTS) whatever its size, so small ones (single-event requests) wait and
 * grow instead of paying them each. Batches still overlap their commits, serializing one while
 * another is written. Alternated runs (bench/RESULTS.md, seventh session): /v1/track 1.11x the
 * throughput (median of 10 pairs), /v1/batch unchanged.
 */
const minItemsToOverlap = 100;
/** Events in one commit (their hashes travel in one header; a chunk is leased as a whole): the collector's largest batch. */
const maxItems = 2_500;

type Outcome = 'stored' | 'duplicate';

interface Waiting {
  items: AppendItem[];
  outcomes: Outcome[];
  /** Pieces of this append not yet stored. */
  open: number;
  failed: boolean;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** Items `from`…`to` (exclusive) of one append, bound for one commit. */
interface Piece {
  append: Waiting;
  from: number;
  to: number;
}

/**
 * Ingest as group commits. Appends that arrive while earlier commits are being
 * written are merged into one commit: one EVENTS message with all their events,
 * and one WORK message ("chunk") per integration with its jobs — instead of a
 * message per event and per job. An append resolves once every message of its
 * commit is acked by JetStream (the collector's 200 still means stored).
 *
 * Order of the writes, so that a crash never loses an accepted event: chunks
 * first, then EVENTS, whose header lists the hashes of the commit's message ids
 * (what dedupe reads). A failure before EVENTS is stored leaves ids unrecorded,
 * so the client's retry is stored again (at least once), never refused.
 */
export class Ingest {
  private readonly queue: Piece[] = [];
  private preparing = false;
  private inflight = 0;
  /** Hashes in commits being written: a repeat in a later commit is a duplicate already. */
  private readonly writing = new Map<string, number>();
  private readonly maxBytes: number;

  constructor(
    private readonly wire: Wire,
    private readonly jsm: JetStreamManager,
    private readonly names: Names,
    private readonly traits: TraitsMemory,
    private readonly index: EventIndex,
    maxPayload: number,
  ) {
    // Room for the JSON around the events and for the header of hashes.
    this.maxBytes = Math.floor(maxPayload * 0.7);
  }

  append(items: AppendItem[]): Promise<AppendResult> {
    if (items.length === 0) return Promise.resolve({ outcomes: [] });
    return new Promise((resolve, reject) => {
      const append: Waiting = { items, outcomes: new Array(items.length), open: 1, failed: false, resolve, reject };
      this.queue.push({ append, from: 0, to: items.length });
      this.pump();
    });
  }

  private pump(): void {
    if (this.preparing || this.inflight >= maxInflight || this.queue.length === 0) return;
    if (this.inflight > 0 && !this.waitingAtLeast(minItemsToOverlap)) return;
    this.preparing = true;
    // After the current turn of the event loop: the requests parsed in it join this commit.
    setImmediate(() => void this.commit());
  }

  private waitingAtLeast(items: number): boolean {
    let n = 0;
    for (const piece of this.queue) {
      n += piece.to - piece.from;
      if (n >= items) return true;
    }
    return false;
  }

  /** Takes up to maxItems items off the queue, splitting a piece if needed. */
  private take(): Piece[] {
    const taken: Piece[] = [];
    let n = 0;
    while (this.queue.length > 0 && n < maxItems) {
      const piece = this.queue[0]!;
      const room = maxItems - n;
      if (piece.to - piece.from <= room) {
        taken.push(this.queue.shift()!);
        n += piece.to - piece.from;
      } else {
        taken.push({ append: piece.append, from: piece.from, to: piece.from + room });
        piece.append.open++;
        piece.from += room;
        n += room;
      }
    }
    return taken;
  }

  private async commit(): Promise<void> {
    const pieces = this.take();
    let writing: Promise<number> | undefined;
    let committed: { pieces: Piece[]; hashes: string[]; id: string; sources: string[]; stored: [Piece, number][] } | undefined;
    try {
      committed = await this.prepare(pieces, (w) => (writing = w));
    } catch (error) {
      this.fail(pieces, error);
    } finally {
      this.preparing = false;
      if (writing !== undefined) this.inflight++;
      this.pump();
    }
    if (committed === undefined || writing === undefined) return;
    try {
      const seq = await writing;
      this.index.stored(committed.id, seq, committed.hashes, committed.sources);
      for (const [piece, i] of committed.stored) piece.append.outcomes[i] = 'stored';
      this.done(committed.pieces);
    } catch (error) {
      this.fail(committed.pieces, error);
    } finally {
      for (const h of committed.hashes) this.unmark(h);
      this.inflight--;
      this.pump();
    }
  }

  /**
   * Dedupes, applies remembered traits and serializes a commit, and starts its writes (chunks are
   * sent before this returns, so stream order is commit order). Items beyond the size limit go back
   * to the front of the queue.
   */
  private async prepare(pieces: Piece[], started: (writing: Promise<number>) => void) {
    const seen = new Set<string>();
    const fresh: { piece: Piece; i: number; hash: string }[] = [];
    for (const piece of pieces) {
      for (let i = piece.from; i < piece.to; i++) {
        const item = piece.append.items[i]!;
        const hash = idHash(item.source, item.event.message_id);
        if (seen.has(hash) || this.writing.has(hash) || this.index.window.first(hash) !== undefined) piece.append.outcomes[i] = 'duplicate';
        else {
          seen.add(hash);
          fresh.push({ piece, i, hash });
        }
      }
    }
    const prepared = await this.traits.prepare(fresh.map((f) => f.piece.append.items[f.i]!.event));

    const id = randomBytes(9).toString('base64url');
    const t = Date.now();
    const events: string[] = [];
    const chunks = new Map<string, string[]>();
    const hashes: string[] = [];
    const sources = new Set<string>();
    const sourceTokens = new Set<string>();
    const stored: [Piece, number][] = [];
    let bytes = 0;
    let chars = 0;
    let cut = fresh.length;
    let lastSource: string | undefined;
    let source = '';
    let lastIntegrations: string[] | undefined;
    let integrations = '';
    let routed: string[] = [];
    for (let k = 0; k < fresh.length; k++) {
      const { piece, i, hash } = fresh[k]!;
      const item = piece.append.items[i]!;
      const json = JSON.stringify(prepared[k]!.event);
      // The items of one request share their source and integrations: serialized once.
      if (item.source !== lastSource) {
        lastSource = item.source;
        source = JSON.stringify(item.source);
        sources.add(item.source);
        sourceTokens.add(token(item.source));
      }
      if (item.integrations !== lastIntegrations) {
        lastIntegrations = item.integrations;
        integrations = JSON.stringify(item.integrations);
        routed = [...new Set(item.integrations)];
      }
      const entry = `{"s":${source},"i":${integrations},"e":${json}}`;
      // A UTF-16 unit is at most 3 bytes: measured only near the limit.
      const size = (chars + entry.length) * 3 > this.maxBytes ? Buffer.byteLength(entry) + hash.length + 1 : entry.length + hash.length + 1;
      if (bytes + size > this.maxBytes && events.length > 0) {
        cut = k;
        break;
      }
      bytes += size;
      chars += entry.length + hash.length + 1;
      events.push(entry);
      hashes.push(hash);
      stored.push([piece, i]);
      for (const integration of routed) {
        let chunk = chunks.get(integration);
        if (chunk === undefined) chunks.set(integration, (chunk = []));
        chunk.push(`{"s":${source},"e":${json}}`);
      }
    }
    const kept = cut === fresh.length ? pieces : this.putBack(pieces, fresh[cut]!);
    if (events.length === 0) {
      this.done(kept);
      return undefined;
    }
    for (const h of hashes) this.writing.set(h, (this.writing.get(h) ?? 0) + 1);
    const head = `"c":"${id}","t":${t}`;
    const writes = [...chunks].map(([integration, jobs]) => this.wire.publish(this.names.work(integration, jobs.length), `{${head},"jobs":[${jobs.join(',')}]}`));
    const remember = prepared.slice(0, cut).flatMap((p) => (p.remember === undefined ? [] : [p.remember]));
    started(
      (async () => {
        const chunkAcks = await Promise.all(writes).catch((error: unknown) => {
          throw new NatsSpoolError('the jobs of an append were not stored', error);
        });
        const events$ = this.wire.publish(this.names.events, `{${head},"items":[${events.join(',')}]}`, {
          headers: { [commitHeader]: id, [idsHeader]: hashes.join(' '), [sourcesHeader]: [...sourceTokens].join(' ') },
        });
        const [ack] = await Promise.all([events$, ...remember.map((m) => this.traits.remember(m))]).catch(async (error: unknown) => {
          // EVENTS refused the commit (e.g. at its limits): its ids are not recorded, so the client's retry is stored
          // again; take the chunks back so that retry does not deliver twice. Not after a timeout: EVENTS may hold it.
          if (await events$.then(() => false, (e: unknown) => e instanceof JetStreamApiFailure)) {
            await Promise.allSettled(chunkAcks.map((a) => this.jsm.streams.deleteMessage(this.names.streams.work, a.seq, false)));
          }
          throw new NatsSpoolError('the events of an append were not stored', error);
        });
        return ack.seq;
      })(),
    );
    return { pieces: kept, hashes, id, sources: [...sources], stored };
  }

  /** Returns the pieces of this commit (up to `first`) and queues the rest again, at the front. */
  private putBack(pieces: Piece[], first: { piece: Piece; i: number }): Piece[] {
    const at = pieces.indexOf(first.piece);
    const rest: Piece[] = pieces.slice(at + 1);
    if (first.i > first.piece.from) {
      rest.unshift({ append: first.piece.append, from: first.i, to: first.piece.to });
      first.piece.append.open++;
      first.piece.to = first.i;
      this.queue.unshift(...rest);
      return pieces.slice(0, at + 1);
    }
    this.queue.unshift(first.piece, ...rest);
    return pieces.slice(0, at);
  }

  private unmark(hash: string): void {
    const n = (this.writing.get(hash) ?? 1) - 1;
    if (n <= 0) this.writing.delete(hash);
    else this.writing.set(hash, n);
  }

  private done(pieces: Piece[]): void {
    for (const { append } of pieces) {
      if (--append.open === 0 && !append.failed) append.resolve({ outcomes: append.outcomes });
    }
  }

  private fail(pieces: Piece[], error: unknown): void {
    const failure = error instanceof NatsSpoolError ? error : new NatsSpoolError('an append was not stored', error);
    for (const { append } of pieces) {
      append.open--;
      if (!append.failed) {
        append.failed = true;
        append.reject(failure);
      }
    }
  }

  /** Fails what is still queued (the spool is closing). */
  dispose(): void {
    const queued = this.queue.splice(0);
    this.fail(queued, new NatsSpoolError('the spool was closed'));
  }
}

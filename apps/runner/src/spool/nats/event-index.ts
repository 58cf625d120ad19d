import type { JetStreamManager } from '@nats-io/jetstream';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { idHash, IdWindow } from './id-window.js';
import { untoken, type Names } from './names.js';
import { commitHeader, idsHeader, sourcesHeader, type CommitRecord } from './records.js';
import { scanStream } from './scan.js';
import { StreamTail } from './tail.js';
import type { Wire } from './wire.js';

export interface IndexSettings {
  /** How long an accepted message id is refused again (and found by event() at once). */
  windowMs: number;
  /** At most this many ids are remembered (32 bytes each). */
  maxIds: number;
}

interface Seen {
  seq: number;
  at: number;
  commit: string;
  hashes: string[];
  sources: string[];
}

function parse(headers: MsgHdrs | undefined, seq: number, at: number): Seen | undefined {
  const commit = headers?.get(commitHeader);
  if (commit === undefined || commit === '') return undefined;
  const ids = headers!.get(idsHeader);
  const sources = headers!.get(sourcesHeader);
  return { seq, at, commit, hashes: ids === '' ? [] : ids.split(' '), sources: sources === '' ? [] : sources.split(' ').map(untoken) };
}

/** Messages read per step when the window is rebuilt from the end of EVENTS backwards. */
const rebuildStep = 2_000;
/** Commits event() reads, newest first, for an id older than the window (a full scan is for operators: `nats stream view`). */
const fallbackCommits = 20_000;

/**
 * Which message ids were accepted, across all runners: every runner follows the
 * EVENTS stream's headers (commit id and the hashes of its message ids) into its
 * dedupe window. On start, the window is rebuilt from the end of EVENTS.
 */
export class EventIndex {
  window!: IdWindow;
  private tail: StreamTail | undefined;
  /** Sources seen (event(id) without a source tries each). */
  private readonly sources = new Set<string>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly wire: Wire,
    private readonly names: Names,
    private readonly settings: IndexSettings,
  ) {}

  async start(): Promise<void> {
    const info = await this.jsm.streams.info(this.names.streams.events);
    const last = info.state.last_seq;
    const from = await this.windowStart(info.state.first_seq, last);
    let window: IdWindow | undefined;
    // Oldest first, page by page (the window's generations follow the commits' times).
    if (from <= last) {
      await scanStream(this.nc, this.jsm, this.names.streams.events, { filter: this.names.events, fromSeq: from, toSeq: last, headersOnly: true }, (page) => {
        for (const m of page) {
          const s = parse(m.headers, m.seq, m.storedAt);
          if (s === undefined) continue;
          window ??= new IdWindow(this.settings.maxIds, this.settings.windowMs, Date.now, s.at);
          this.window = window;
          this.note(s);
        }
      });
    }
    this.window = window ?? new IdWindow(this.settings.maxIds, this.settings.windowMs);
    this.tail = new StreamTail(
      this.nc,
      this.names.streams.events,
      this.names.events,
      last,
      (m) => {
        const s = parse(m.headers, m.seq, Math.floor(m.info.timestampNanos / 1e6));
        if (s !== undefined) this.note(s);
      },
      true,
    );
    this.tail.start();
  }

  async stop(): Promise<void> {
    await this.tail?.stop();
  }

  /** A commit this runner stored (before the tail brings it back). */
  stored(commit: string, seq: number, hashes: string[], sources: string[]): void {
    this.note({ seq, at: Date.now(), commit, hashes, sources });
  }

  private note(s: Seen): void {
    for (const source of s.sources) this.sources.add(source);
    this.window.add(s.commit, s.seq, s.hashes, s.at);
  }

  /** Where the window starts: the end of EVENTS read backwards (headers only) until the window's time or id count is covered. */
  private async windowStart(first: number, last: number): Promise<number> {
    let ids = 0;
    const oldest = Date.now() - this.settings.windowMs;
    let start = last + 1;
    for (let end = last; end >= first && end > 0; end -= rebuildStep) {
      const from = Math.max(first, end - rebuildStep + 1);
      const step: { seq: number; at: number; ids: number }[] = [];
      await scanStream(this.nc, this.jsm, this.names.streams.events, { filter: this.names.events, fromSeq: from, toSeq: end, headersOnly: true }, (page) => {
        for (const m of page) {
          const header = m.headers?.get(idsHeader) ?? '';
          // 16 hex digits and a space per id: counted without splitting.
          step.push({ seq: m.seq, at: m.storedAt, ids: header === '' ? 0 : (header.length + 1) / 17 });
        }
      });
      for (let k = step.length - 1; k >= 0; k--) {
        const s = step[k]!;
        if (s.at < oldest || ids >= this.settings.maxIds) return start;
        ids += s.ids;
        start = s.seq;
      }
      start = from;
    }
    return start;
  }

  /** The commit record and item of an accepted event (`source` unset: the latest stored of any source). */
  async find(messageId: string, source?: string): Promise<{ record: CommitRecord; item: CommitRecord['items'][number] } | undefined> {
    const sources = source === undefined ? [...this.sources] : [source];
    let seq: number | undefined;
    for (const s of sources) {
      const at = this.window.first(idHash(s, messageId));
      if (at !== undefined && (seq === undefined || at > seq)) seq = at;
    }
    seq ??= await this.search(messageId, source);
    if (seq === undefined) return undefined;
    const m = await this.wire.get(this.names.streams.events, { seq });
    if (m === null) return undefined;
    const record = m.json<CommitRecord>();
    const items = record.items.filter((i) => i.e.message_id === messageId && (source === undefined || i.s === source));
    const item = items[items.length - 1];
    return item === undefined ? undefined : { record, item };
  }

  /** An id older than the window: the newest commits' headers, newest first, up to fallbackCommits. */
  private async search(messageId: string, source?: string): Promise<number | undefined> {
    const info = await this.jsm.streams.info(this.names.streams.events);
    const { first_seq: first, last_seq: last } = info.state;
    for (let end = last; end >= first && end > 0 && last - end < fallbackCommits; end -= rebuildStep) {
      const from = Math.max(first, end - rebuildStep + 1);
      let found: number | undefined;
      await scanStream(this.nc, this.jsm, this.names.streams.events, { filter: this.names.events, fromSeq: from, toSeq: end, headersOnly: true }, (page) => {
        for (const m of page) {
          const s = parse(m.headers, m.seq, m.storedAt);
          if (s === undefined) continue;
          const wanted = new Set((source === undefined ? s.sources : [source]).map((src) => idHash(src, messageId)));
          if (s.hashes.some((h) => wanted.has(h))) found = m.seq;
        }
      });
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

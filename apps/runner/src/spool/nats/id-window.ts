/**
 * The message-id dedupe window: which (source, message_id) pairs were accepted
 * recently, and the EVENTS sequence of the commit that first stored each.
 *
 * Ids are kept as 64-bit hashes in typed arrays (16 bytes a slot, at most half
 * full), in two generations: new ids go to the current one; when it holds half
 * the allowed ids or covers half the window of time, the older generation is
 * dropped. So an id is remembered for at least half of `maxIds` / `windowMs`
 * and at most all of it, and the memory is bounded by `maxIds` (32 bytes an id).
 */

/** 64-bit hash of (source, message id) as 16 hex digits (two 32-bit lanes of cyrb53's mixing). */
export function idHash(source: string, messageId: string): string {
  let h1 = 0xdeadbeef ^ source.length;
  let h2 = 0x41c6ce57 ^ source.length;
  // Length-prefixed, so ("ab", "c") and ("a", "bc") differ; no string is built.
  for (const text of [source, messageId]) {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

class Generation {
  private keys: Uint32Array;
  private seqs: Float64Array;
  count = 0;

  constructor(
    readonly startedAt: number,
    capacity = 1024,
  ) {
    this.keys = new Uint32Array(capacity * 2);
    this.seqs = new Float64Array(capacity);
  }

  private slot(hi: number, lo: number): number {
    const mask = this.seqs.length - 1;
    let i = (Math.imul(hi ^ lo, 0x9e3779b1) >>> 0) & mask;
    while (this.seqs[i] !== 0 && (this.keys[2 * i] !== hi || this.keys[2 * i + 1] !== lo)) i = (i + 1) & mask;
    return i;
  }

  get(hi: number, lo: number): number | undefined {
    const seq = this.seqs[this.slot(hi, lo)]!;
    return seq === 0 ? undefined : seq;
  }

  /** Keeps the lowest sequence per id (the first commit that stored it). */
  put(hi: number, lo: number, seq: number): void {
    if ((this.count + 1) * 2 > this.seqs.length) this.grow();
    const i = this.slot(hi, lo);
    const old = this.seqs[i]!;
    if (old === 0) {
      this.keys[2 * i] = hi;
      this.keys[2 * i + 1] = lo;
      this.seqs[i] = seq;
      this.count++;
    } else if (seq < old) this.seqs[i] = seq;
  }

  private grow(): void {
    const { keys, seqs } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.seqs = new Float64Array(seqs.length * 2);
    this.count = 0;
    for (let i = 0; i < seqs.length; i++) if (seqs[i] !== 0) this.put(keys[2 * i]!, keys[2 * i + 1]!, seqs[i]!);
  }
}

function split(hash: string): [number, number] {
  return [parseInt(hash.slice(0, 8), 16) >>> 0, parseInt(hash.slice(8, 16), 16) >>> 0];
}

interface CommitEntry {
  seq: number;
  /** Holds an id an earlier commit stored too (two runners accepted it at once). */
  raced: boolean;
}

/** The commits of one generation, both ways. */
class Commits {
  readonly byId = new Map<string, CommitEntry>();
  readonly bySeq = new Map<number, CommitEntry>();

  add(commit: string, seq: number): CommitEntry {
    const entry = { seq, raced: false };
    this.byId.set(commit, entry);
    this.bySeq.set(seq, entry);
    return entry;
  }
}

export class IdWindow {
  private old: Generation | undefined;
  private current: Generation;
  private commitsOld = new Commits();
  private commits = new Commits();

  constructor(
    private readonly maxIds: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    startedAt: number = now(),
  ) {
    this.current = new Generation(startedAt);
  }

  /** Drops what is older than the window at `at`, and starts a new generation when the current one is half the window. */
  private rotate(at: number): void {
    if (this.old !== undefined && at - this.old.startedAt >= this.windowMs) {
      this.old = undefined;
      this.commitsOld = new Commits();
    }
    if (this.current.count * 2 >= this.maxIds || at - this.current.startedAt >= this.windowMs / 2) {
      this.old = this.current;
      this.commitsOld = this.commits;
      this.current = new Generation(at);
      this.commits = new Commits();
    }
  }

  private lookup(hi: number, lo: number): number | undefined {
    const a = this.current.get(hi, lo);
    const b = this.old?.get(hi, lo);
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** The EVENTS sequence of the first commit that stored this id, if it is in the window. */
  first(hash: string): number | undefined {
    this.rotate(this.now());
    const [hi, lo] = split(hash);
    return this.lookup(hi, lo);
  }

  /** Records a stored commit (its EVENTS sequence, stored at `at`) and its ids. Oldest first: a rebuild adds them in stream order. */
  add(commit: string, seq: number, hashes: Iterable<string>, at: number = this.now()): void {
    this.rotate(at);
    if (this.commits.byId.has(commit) || this.commitsOld.byId.has(commit)) return;
    const entry = this.commits.add(commit, seq);
    for (const hash of hashes) {
      const [hi, lo] = split(hash);
      const known = this.lookup(hi, lo);
      if (known !== undefined && known < seq) entry.raced = true;
      else {
        this.current.put(hi, lo, seq);
        // Seen late (another runner's commit reached this one after ours): the later commit is the copy.
        const later = known !== undefined && known > seq ? this.entry(known) : undefined;
        if (later !== undefined) later.raced = true;
      }
    }
  }

  private entry(seq: number): CommitEntry | undefined {
    return this.commits.bySeq.get(seq) ?? this.commitsOld.bySeq.get(seq);
  }

  /**
   * A commit's EVENTS sequence, if it is in the window and holds ids an earlier commit stored first
   * (only then does a claim look at each of its jobs).
   */
  racedCommit(commit: string): number | undefined {
    const entry = this.commits.byId.get(commit) ?? this.commitsOld.byId.get(commit);
    return entry?.raced === true ? entry.seq : undefined;
  }

  get size(): number {
    return this.current.count + (this.old?.count ?? 0);
  }
}

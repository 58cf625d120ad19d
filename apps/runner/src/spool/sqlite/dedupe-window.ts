/**
 * The message ids stored recently, kept in memory for deduplication, so appends need no unique
 * index on disk (a random-key B-tree dirties one page per event: with UUIDs that was most of an
 * append's cost). Segment dedupes over a look-back of about a day; so does this, bounded by
 * time (`windowMs`) and by count (`maxIds`, the oldest are forgotten first), whichever is shorter.
 *
 * Layout (typed arrays, no object per id): a ring of entries in the order they were stored
 * (32-bit hash fingerprint, event seq, time in seconds: 16 bytes) and an open-addressing index
 * (linear probing) of ring positions, kept at most 2/3 full (4 bytes a slot, so 6 to 12 bytes
 * an id). Both grow by doubling up to `maxIds`. A fingerprint match is only a candidate: the
 * store confirms it against the event row (by seq, a primary-key read), so a hash collision
 * never turns a new event into a "duplicate".
 */
export interface DedupeWindowOptions {
  windowMs: number;
  maxIds: number;
  /** Ring slots allocated at first (tests use small ones). */
  initialCapacity?: number;
}

const none: readonly number[] = [];

export class DedupeWindow {
  readonly windowMs: number;
  readonly maxIds: number;
  private capacity: number;
  private fingerprints: Uint32Array;
  private seqs: Float64Array;
  private times: Uint32Array;
  /** Physical ring index of the oldest entry. */
  private start = 0;
  private count = 0;
  /** Entries ever added (rollback marks count from it). */
  private added = 0;
  /** Index slots: physical ring index + 1; 0 is empty. */
  private slots: Uint32Array;
  private mask: number;

  constructor(options: DedupeWindowOptions) {
    if (!(options.maxIds >= 1)) throw new RangeError('maxIds must be at least 1');
    this.windowMs = options.windowMs;
    this.maxIds = Math.floor(options.maxIds);
    this.capacity = Math.min(this.maxIds, Math.max(16, options.initialCapacity ?? 4096));
    this.fingerprints = new Uint32Array(this.capacity);
    this.seqs = new Float64Array(this.capacity);
    this.times = new Uint32Array(this.capacity);
    this.slots = new Uint32Array(indexSize(this.capacity));
    this.mask = this.slots.length - 1;
  }

  /** Ids remembered now. */
  get size(): number {
    return this.count;
  }

  /** Bytes of the typed arrays (what the window costs in memory). */
  get bytes(): number {
    return this.fingerprints.byteLength + this.seqs.byteLength + this.times.byteLength + this.slots.byteLength;
  }

  /** Seqs of remembered events whose id has this hash's fingerprint (candidates, to confirm). */
  candidates(hash: number): readonly number[] {
    const fp = hash >>> 0;
    let found: number[] | undefined;
    for (let i = fp & this.mask; this.slots[i] !== 0; i = (i + 1) & this.mask) {
      const p = this.slots[i]! - 1;
      if (this.fingerprints[p] === fp) (found ??= []).push(this.seqs[p]!);
    }
    return found ?? none;
  }

  /** Remembers a stored event. Forgets the oldest first once `maxIds` are remembered. */
  add(hash: number, seq: number, atMs: number): void {
    if (this.count === this.capacity) {
      if (this.capacity < this.maxIds) this.grow();
      else this.removeOldest();
    }
    const p = (this.start + this.count) % this.capacity;
    this.fingerprints[p] = hash >>> 0;
    this.seqs[p] = seq;
    this.times[p] = Math.floor(atMs / 1000);
    this.count++;
    this.added++;
    this.insertSlot(p);
  }

  /** Forgets ids stored before `nowMs - windowMs`. */
  expire(nowMs: number): void {
    const cutoff = Math.floor((nowMs - this.windowMs) / 1000);
    while (this.count > 0 && this.times[this.start]! < cutoff) this.removeOldest();
  }

  /** A point to roll back to (a failed transaction's ids were never stored). */
  mark(): number {
    return this.added;
  }

  /** Forgets the ids added since `mark`, newest first. */
  rollback(mark: number): void {
    let n = Math.min(this.count, this.added - mark);
    while (n-- > 0) {
      const p = (this.start + this.count - 1) % this.capacity;
      this.deleteSlot(p);
      this.count--;
      this.added--;
    }
  }

  private removeOldest(): void {
    this.deleteSlot(this.start);
    this.start = (this.start + 1) % this.capacity;
    this.count--;
  }

  private grow(): void {
    const capacity = Math.min(this.maxIds, this.capacity * 2);
    const fingerprints = new Uint32Array(capacity);
    const seqs = new Float64Array(capacity);
    const times = new Uint32Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const p = (this.start + i) % this.capacity;
      fingerprints[i] = this.fingerprints[p]!;
      seqs[i] = this.seqs[p]!;
      times[i] = this.times[p]!;
    }
    this.fingerprints = fingerprints;
    this.seqs = seqs;
    this.times = times;
    this.capacity = capacity;
    this.start = 0;
    this.slots = new Uint32Array(indexSize(capacity));
    this.mask = this.slots.length - 1;
    for (let i = 0; i < this.count; i++) this.insertSlot(i);
  }

  private insertSlot(p: number): void {
    let i = this.fingerprints[p]! & this.mask;
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = p + 1;
  }

  /** Removes ring position `p` from the index (backward-shift deletion: no tombstones). */
  private deleteSlot(p: number): void {
    const mask = this.mask;
    let i = this.fingerprints[p]! & mask;
    while (this.slots[i] !== p + 1) {
      if (this.slots[i] === 0) return;
      i = (i + 1) & mask;
    }
    for (let j = (i + 1) & mask; this.slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.fingerprints[this.slots[j]! - 1]! & mask;
      // Entry j may move into the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      this.slots[i] = this.slots[j]!;
      i = j;
    }
    this.slots[i] = 0;
  }
}

/** Index slots for a ring of `capacity`: a power of two at least 1.5 times it (at most 2/3 full). */
function indexSize(capacity: number): number {
  let size = 16;
  while (size < capacity * 1.5) size *= 2;
  return size;
}

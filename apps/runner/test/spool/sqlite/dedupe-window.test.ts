import { describe, expect, it } from 'vitest';
import { DedupeWindow } from '../../../src/spool/sqlite/dedupe-window.js';
import { idHash } from '../../../src/spool/sqlite/id-hash.js';

const hour = 3_600_000;

describe('dedupe window (in memory)', () => {
  it('finds what it was given, by hash, with its seq; forgets nothing before its bounds', () => {
    const w = new DedupeWindow({ windowMs: hour, maxIds: 10_000, initialCapacity: 16 });
    const ids = Array.from({ length: 5_000 }, (_, i) => `id-${i}`);
    ids.forEach((id, i) => w.add(idHash(id), i + 1, 1_000));
    expect(w.size).toBe(5_000);
    ids.forEach((id, i) => expect(w.candidates(idHash(id))).toContain(i + 1));
    expect(w.candidates(idHash('never-added'))).toEqual([]);
  });

  it('count bound: keeps only the newest maxIds, and its memory stops growing there', () => {
    const maxIds = 1_000;
    const w = new DedupeWindow({ windowMs: hour, maxIds, initialCapacity: 16 });
    let peak = 0;
    for (let i = 0; i < 10_000; i++) {
      w.add(idHash(`id-${i}`), i, 0);
      peak = Math.max(peak, w.bytes);
    }
    expect(w.size).toBe(maxIds);
    expect(w.candidates(idHash('id-8999'))).toEqual([]);
    expect(w.candidates(idHash('id-9000'))).toEqual([9000]);
    expect(w.candidates(idHash('id-9999'))).toEqual([9999]);
    // 16 bytes per ring entry, and an index of 4-byte slots at most 3 times the ids (power of two).
    expect(peak).toBeLessThanOrEqual(maxIds * 16 + 4 * 4096);
    expect(w.bytes).toBe(peak);
  });

  it('time bound: ids older than the window are forgotten, newer ones kept', () => {
    const w = new DedupeWindow({ windowMs: hour, maxIds: 100 });
    w.add(idHash('old'), 1, 0);
    w.add(idHash('new'), 2, 30 * 60_000);
    w.expire(hour + 1_000);
    expect(w.candidates(idHash('old'))).toEqual([]);
    expect(w.candidates(idHash('new'))).toEqual([2]);
    expect(w.size).toBe(1);
  });

  it('rollback forgets the ids of a failed transaction and keeps the index whole', () => {
    const w = new DedupeWindow({ windowMs: hour, maxIds: 64, initialCapacity: 16 });
    for (let i = 0; i < 40; i++) w.add(idHash(`a-${i}`), i, 0);
    const mark = w.mark();
    for (let i = 0; i < 10; i++) w.add(idHash(`b-${i}`), 100 + i, 0);
    w.rollback(mark);
    expect(w.size).toBe(40);
    for (let i = 0; i < 10; i++) expect(w.candidates(idHash(`b-${i}`))).toEqual([]);
    for (let i = 0; i < 40; i++) expect(w.candidates(idHash(`a-${i}`))).toEqual([i]);
  });

  it('colliding fingerprints all come back as candidates (the store confirms them against the row)', () => {
    const w = new DedupeWindow({ windowMs: hour, maxIds: 100 });
    // Same low 32 bits, different high bits: one fingerprint.
    w.add(5, 1, 0);
    w.add(5 + 2 ** 32, 2, 0);
    expect(w.candidates(5)).toEqual([1, 2]);
    // Deleting one (the oldest, by the count bound) keeps the other findable.
    const small = new DedupeWindow({ windowMs: hour, maxIds: 2, initialCapacity: 2 });
    small.add(5, 1, 0);
    small.add(5 + 2 ** 32, 2, 0);
    small.add(7, 3, 0);
    expect(small.candidates(5)).toEqual([2]);
    expect(small.candidates(7)).toEqual([3]);
  });
});

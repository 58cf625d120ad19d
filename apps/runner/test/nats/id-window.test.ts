import { describe, expect, it } from 'vitest';
import { idHash, IdWindow } from '../../src/spool/nats/id-window.js';

// The dedupe window on its own (no NATS): what every runner keeps in memory from the EVENTS stream.
describe('dedupe window', () => {
  const h = (id: string, source = 'web') => idHash(source, id);

  it('hashes (source, message id) apart: same id in two sources, and ids that only concatenate alike', () => {
    expect(h('m1')).not.toBe(h('m1', 'ios'));
    expect(idHash('ab', 'c')).not.toBe(idHash('a', 'bc'));
    expect(h('line\r\nbreak')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('knows the first commit that stored an id, in either order of arrival, and flags the later copy', () => {
    const w = new IdWindow(1_000, 60_000);
    w.add('c1', 10, [h('a'), h('b')]);
    w.add('c3', 30, [h('c')]);
    expect(w.first(h('a'))).toBe(10);
    expect(w.first(h('zzz'))).toBeUndefined();
    // c2 stored b again (a race with c1, seen later): c2 is the copy.
    w.add('c2', 20, [h('b'), h('d')]);
    expect(w.first(h('b'))).toBe(10);
    expect(w.racedCommit('c2')).toBe(20);
    expect(w.racedCommit('c1')).toBeUndefined();
    // c0 arrives after c3 but was stored first: c3's id c is then c3's copy.
    w.add('c0', 5, [h('c')]);
    expect(w.first(h('c'))).toBe(5);
    expect(w.racedCommit('c3')).toBe(30);
  });

  it('remembers at least half of maxIds ids, and not many more than maxIds', () => {
    const w = new IdWindow(100, 3_600_000);
    for (let i = 0; i < 1_000; i++) w.add(`c${i}`, i + 1, [h(`id-${i}`)]);
    expect(w.size).toBeLessThanOrEqual(100);
    for (let i = 950; i < 1_000; i++) expect(w.first(h(`id-${i}`))).toBe(i + 1);
    expect(w.first(h('id-0'))).toBeUndefined();
  });

  it('forgets ids older than the window', () => {
    let now = 1_000_000;
    const w = new IdWindow(1_000_000, 10_000, () => now);
    w.add('c1', 1, [h('old')], now);
    now += 6_000;
    w.add('c2', 2, [h('newer')], now);
    expect(w.first(h('old'))).toBe(1);
    now += 6_000;
    expect(w.first(h('newer'))).toBe(2);
    now += 6_000;
    expect(w.first(h('old'))).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { InflightBodies } from '../../src/collector/inflight.js';

// The in-flight body cap's policy, on a fake clock: who is paused, who is evicted, who resumes.
const KB = 1024;

function setup(capBytes: number) {
  let now = 0;
  const cap = new InflightBodies(capBytes, () => now);
  const log: string[] = [];
  const body = (name: string) => cap.start({ pause: () => log.push(`pause ${name}`), resume: () => log.push(`resume ${name}`), evict: () => log.push(`evict ${name}`) });
  return { cap, log, body, tick: (ms: number) => (now += ms) };
}

describe('InflightBodies', () => {
  it('under the cap nothing happens; finished bodies give their bytes back', () => {
    const { cap, log, body } = setup(100 * KB);
    const a = body('a');
    cap.add(a, 60 * KB, false);
    cap.add(a, 30 * KB, true);
    expect(cap.bytes).toBe(90 * KB);
    cap.finish(a);
    cap.finish(a);
    expect(cap.bytes).toBe(0);
    expect(log).toEqual([]);
  });

  it('over the cap, slow bodies are paused, not read and thrown away; a completing chunk is always taken', () => {
    const { cap, log, body, tick } = setup(100 * KB);
    const slow = Array.from({ length: 4 }, (_, i) => body(`s${i}`));
    for (const s of slow) cap.add(s, 30 * KB, false);
    expect(log).toEqual(['pause s3']);
    tick(2_000);
    const fast = body('f');
    cap.add(fast, 10 * KB, true);
    expect(log).toEqual(['pause s3']);
    cap.finish(fast);
    expect(cap.bytes).toBe(120 * KB);
  });

  it('a new fast body evicts the oldest slow ones (8× slower, arriving for over 1 s) instead of waiting', () => {
    const { cap, log, body, tick } = setup(100 * KB);
    const slow = Array.from({ length: 3 }, (_, i) => body(`s${i}`));
    for (const s of slow) cap.add(s, 30 * KB, false);
    tick(1_500);
    const fast = body('f');
    tick(10);
    cap.add(fast, 64 * KB, false);
    expect(log).toEqual(['evict s0', 'evict s1']);
    expect(cap.bytes).toBe(94 * KB);
    cap.add(fast, 64 * KB, true);
    cap.finish(fast);
    expect(log).toEqual(['evict s0', 'evict s1']);
  });

  it('bodies of one kind never evict each other (a burst of slow uploads does not churn through itself)', () => {
    const { cap, log, body, tick } = setup(100 * KB);
    const early = Array.from({ length: 5 }, (_, i) => body(`a${i}`));
    for (const b of early) cap.add(b, 18 * KB, false);
    tick(1_200);
    // A later body of the same slow kind: 1.5 KB in 100 ms, about the rate of the early ones.
    const late = body('late');
    tick(100);
    for (const b of early) cap.add(b, 4 * KB, false);
    cap.add(late, 1.5 * KB, false);
    expect(log).toEqual(['pause a2', 'pause a3', 'pause a4', 'pause late']);
  });

  it('paused bodies resume newest first once a quarter of the cap is free, as many as the room holds', () => {
    const { cap, log, body } = setup(1024 * KB);
    const a = body('a');
    cap.add(a, 1020 * KB, false);
    const waiting = Array.from({ length: 5 }, (_, i) => body(`w${i}`));
    for (const w of waiting) cap.add(w, 10 * KB, false);
    expect(log).toHaveLength(5);
    log.length = 0;
    cap.finish(a);
    // 50 KB held: room for (768 − 50) / 64 ≈ 11 full chunks, so all five resume, newest first.
    expect(log).toEqual(['resume w4', 'resume w3', 'resume w2', 'resume w1', 'resume w0']);
  });

  it('when paused bodies’ last chunks push the total a quarter over the cap, the oldest go', () => {
    const { cap, log, body } = setup(100 * KB);
    const bodies = Array.from({ length: 8 }, (_, i) => body(`b${i}`));
    for (const b of bodies) cap.add(b, 20 * KB, false);
    // The 7th makes 140 KB > 125 KB: the oldest go until the total fits the cap again.
    expect(log).toEqual(['pause b5', 'evict b0', 'evict b1', 'pause b7']);
    expect(cap.bytes).toBe(120 * KB);
  });
});

import { describe, expect, it } from 'vitest';
import { memoize } from '../src/memo.js';

describe('memoize (hot-path memory for header names and endpoint URLs)', () => {
  it('computes each key once while it is remembered, falsy answers included', () => {
    const calls: string[] = [];
    const f = memoize((k) => {
      calls.push(k);
      return k === 'none' ? undefined : k.length > 3;
    }, 10);
    expect([f('abcd'), f('ab'), f('none'), f('abcd'), f('ab'), f('none')]).toEqual([true, false, undefined, true, false, undefined]);
    expect(calls).toEqual(['abcd', 'ab', 'none']);
  });

  it('holds at most max keys: once full it forgets and computes again', () => {
    const calls: string[] = [];
    const f = memoize((k) => (calls.push(k), k.toUpperCase()), 3);
    for (const k of ['a', 'b', 'c', 'd']) f(k);
    f('a');
    expect(calls).toEqual(['a', 'b', 'c', 'd', 'a']);
  });

  it('remembers nothing of a call that threw', () => {
    let n = 0;
    const f = memoize((k) => {
      n++;
      if (k === 'bad') throw new Error('no');
      return k;
    }, 10);
    expect(() => f('bad')).toThrow('no');
    expect(() => f('bad')).toThrow('no');
    expect(n).toBe(2);
  });
});

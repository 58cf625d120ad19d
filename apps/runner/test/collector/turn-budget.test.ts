import { describe, expect, it } from 'vitest';
import { TurnBudget } from '../../src/collector/turn-budget.js';

/**
 * A budget on a clock that moves only when a slice says it worked, and slices that record their
 * order; slice 'a' also queues another callback, as I/O arriving meanwhile would.
 */
function recordedBudget(sliceMs: number) {
  let t = 0;
  const budget = new TurnBudget(1, () => t);
  const order: string[] = [];
  const slice = (name: string) => () => {
    order.push(name);
    if (name === 'a') setImmediate(() => order.push('other callback'));
    t += sliceMs;
    return name;
  };
  return { budget, order, slice };
}

describe('TurnBudget', () => {
  it('lets other callbacks run between slices once a turn has spent its budget', async () => {
    const { budget, order, slice } = recordedBudget(1);
    const results = await Promise.all([budget.run(slice('a')), budget.run(slice('b')), budget.run(slice('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(order).toEqual(['a', 'other callback', 'b', 'c']);
  });

  it('runs cheap work back to back in one turn', async () => {
    const { budget, order, slice } = recordedBudget(0.1);
    await Promise.all([budget.run(slice('a')), budget.run(slice('b')), budget.run(slice('c'))]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['a', 'b', 'c', 'other callback']);
  });

  it('rejects with the error of a failing slice and goes on with the rest', async () => {
    const budget = new TurnBudget(1);
    const failing = budget.run(() => {
      throw new Error('bad slice');
    });
    const next = budget.run(() => 'next');
    await expect(failing).rejects.toThrow('bad slice');
    await expect(next).resolves.toBe('next');
  });
});

import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { packLog, unpackLog } from '../../../src/spool/sqlite/log-codec.js';

describe('attempt log codec', () => {
  const record = (i: number) => JSON.stringify({ at: 1_800_000_000_000 + i, result: { status: 'delivered' }, x: 0, payload: { identity: `user-${i}`, evtName: 'Product Viewed' } });

  it('deflates a large array into a buffer of its own size, and reads it back', () => {
    const items = Array.from({ length: 1000 }, (_, i) => record(i));
    const packed = packLog(items);
    expect(packed).toBeInstanceOf(Uint8Array);
    const bytes = packed as Uint8Array;
    // Posted to the writer whole: no larger buffer behind the view.
    expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
    expect(bytes.byteLength * 8).toBeLessThan(`[${items.join(',')}]`.length);
    expect(inflateRawSync(bytes).toString('utf8')).toBe(`[${items.join(',')}]`);
    expect(unpackLog(Buffer.from(bytes))).toEqual(items.map((t) => JSON.parse(t) as unknown));
  });

  it('keeps a small array as JSON text (an unbatched webhook would pay deflate per event), as rows before v7 are', () => {
    expect(packLog([record(1)])).toBe(`[${record(1)}]`);
    expect(packLog([])).toBe('[]');
    expect(unpackLog(`[${record(1)}]`)).toEqual([JSON.parse(record(1)) as unknown]);
  });
});

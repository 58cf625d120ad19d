import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How an attempt_log row holds its attempt records and exchanges: each column a JSON array,
 * deflated (raw, level 1) by the front before it travels to the writer. A 1,000-record batch is
 * ~235 KB of records and up to ~77 KB of exchange as text, ~20 KB deflated: the WAL, the
 * checkpoint and its fsyncs carry a sixteenth of the bytes, and the writer thread, which paces
 * delivery, does none of the compressing. Rows written before schema v7 hold the text as is.
 */
export function packLog(items: readonly string[]): Uint8Array {
  return deflateRawSync(`[${items.join(',')}]`, { level: 1 });
}

/** The array a column holds, deflated (v7) or as JSON text (earlier rows). */
export function unpackLog(column: Uint8Array | string): unknown[] {
  const text = typeof column === 'string' ? column : inflateRawSync(column).toString('utf8');
  return JSON.parse(text) as unknown[];
}

import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How an attempt_log row holds its attempt records and exchanges: each column a JSON array,
 * deflated (raw, level 1) by the front before it travels to the writer when it is large. A
 * 1,000-record batch is ~235 KB of records and up to ~77 KB of exchange as text, ~20 KB deflated:
 * the WAL, the checkpoint and its fsyncs carry a sixteenth of the bytes, and the writer thread,
 * which paces delivery, does none of the compressing. A small array stays JSON text: deflate
 * costs ~40-80 µs a call whatever the size (its state is set up each time), which an unbatched
 * webhook would pay twice per event. Rows written before schema v7 hold the text as is too.
 */
const deflateFrom = 4096;

/** A packed column: deflated bytes, or the JSON text itself. */
export type PackedLog = Uint8Array | string;

export function packLog(items: readonly string[]): PackedLog {
  const text = `[${items.join(',')}]`;
  if (text.length < deflateFrom) return text;
  const packed = deflateRawSync(text, { level: 1 });
  // zlib hands back a view of a larger buffer; posted to the writer, the whole buffer would be copied.
  return packed.byteLength === packed.buffer.byteLength ? packed : new Uint8Array(packed);
}

/** The array a column holds, deflated or as JSON text. */
export function unpackLog(column: PackedLog): unknown[] {
  const text = typeof column === 'string' ? column : inflateRawSync(column).toString('utf8');
  return JSON.parse(text) as unknown[];
}

/**
 * A 53-bit hash of a message id: what the spool keeps instead of a unique index on the id text.
 * 53 bits so it is exact as a JS number and as an SQLite INTEGER (no BigInt on the hot path);
 * nothing relies on it being unique: every hash match is confirmed against the stored row.
 * cyrb53 (public domain): two 32-bit multiply-xorshift lanes, fast on short strings in V8,
 * which a WASM or `crypto` hash is not (each call crosses a boundary and allocates).
 */
export function idHash(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The forms a secret can take once a plugin encodes it: as is, URL- and
 * form-encoded, JSON-escaped, hex, and base64/base64url — including the
 * base64 of a longer text that contains the secret (`Basic base64(user:pass)`),
 * found by encoding the secret at each of base64's three byte alignments and
 * keeping only the characters that depend on the secret alone.
 */
export function secretVariants(secret: string): string[] {
  const variants = new Set<string>([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)]);
  const bytes = Buffer.from(secret, 'utf8');
  variants.add(bytes.toString('hex'));
  variants.add(bytes.toString('hex').toUpperCase());
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters mixing in the unknown bytes before (first group) or after (a partial last group) are dropped.
    const start = offset === 0 ? 0 : 4;
    const end = Math.floor((offset + bytes.length) / 3) * 4;
    const core = encoded.slice(start, end);
    // Too short a fragment would match innocent text.
    if (core.length < 8) continue;
    variants.add(core);
    variants.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...variants];
}

/** The names of the encodings of `secret` found in `text` (empty if none). */
export function findSecret(text: string, secret: string): string[] {
  const found: string[] = [];
  const name = (v: string) => {
    if (v === secret) return 'as is';
    if (v === encodeURIComponent(secret) || v === new URLSearchParams({ s: secret }).toString().slice(2)) return 'URL-encoded';
    if (v === JSON.stringify(secret).slice(1, -1)) return 'JSON-escaped';
    if (/^[0-9a-fA-F]+$/.test(v) && v.length === Buffer.byteLength(secret) * 2) return 'hex-encoded';
    return 'base64-encoded';
  };
  for (const v of secretVariants(secret)) if (text.includes(v) && !found.includes(name(v))) found.push(name(v));
  return found;
}

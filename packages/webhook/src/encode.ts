/**
 * Values from events put into a URL or a header must never change its shape or
 * make it invalid: any string the collector accepts (CR, LF, NUL, emoji, lone
 * surrogates) is percent-encoded as UTF-8 (a lone surrogate as U+FFFD).
 */

function percentEncode(ch: string): string {
  let out = '';
  for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/**
 * Header values: visible ASCII (`!` to `~`) stays as it is, everything else,
 * including space and `%` itself, is percent-encoded, so the value is a valid
 * HTTP field value that no proxy trims or folds, and `decodeURIComponent` gives
 * the original back. A UUID message id is unchanged.
 */
export function headerValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    out += code >= 0x21 && code <= 0x7e && ch !== '%' ? ch : percentEncode(ch);
  }
  return out;
}

/** URL components: `encodeURIComponent`, made total (it throws on a lone surrogate). */
export function urlComponent(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    out += code >= 0xd800 && code <= 0xdfff ? percentEncode(ch) : encodeURIComponent(ch);
  }
  return out;
}

/**
 * The one set of masking rules. Secrets never leave the process unmasked: the
 * delivery log, the debugger, error messages and logs all pass through a
 * redactor built from the integration's secret values, and header and
 * query-parameter names that say "secret" are masked whatever their value.
 */
import { memoize } from './memo.js';

export const REDACTED = '[REDACTED]';

/** Substrings of a header or query-parameter name that make its value secret (X-Auth, X-Custom-Auth, api_key, Azure's `code`, …). */
const sensitiveWords = /auth|key|token|secret|signature|passw|passcode|cookie|session|code|credential/i;

/**
 * Whether a header or query-parameter name carries a secret. `sig` (Azure SAS,
 * signed URLs) counts as a whole word only, so `x-signal-message-id` stays readable.
 */
export const isSensitiveName: (name: string) => boolean = memoize((name) => {
  if (sensitiveWords.test(name)) return true;
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.includes('sig');
}, 4_096);

export type Redactor = (text: string) => string;

/** Absolute URLs inside any text (log lines, bodies, error messages). */
const urlInText = /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>\\`]+/g;

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * Masks the credentials a URL can carry: the user-info (`user:pass@`: the
 * password, or the user name when it stands alone, as tokens do) and the value
 * of every query parameter with a sensitive name. Works on the text, so a URL
 * template or a URL that does not parse is still masked.
 */
export function redactUrl(url: string): string {
  let out = url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#@\s]*)@/, (_whole, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon === -1 ? `${scheme}${REDACTED}@` : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
  });
  const q = out.indexOf('?');
  if (q === -1) return out;
  const hash = out.indexOf('#', q);
  const end = hash === -1 ? out.length : hash;
  const query = out
    .slice(q + 1, end)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1 || !isSensitiveName(decodeName(pair.slice(0, eq)))) return pair;
      return `${pair.slice(0, eq)}=${REDACTED}`;
    })
    .join('&');
  out = `${out.slice(0, q + 1)}${query}${out.slice(end)}`;
  return out;
}

/** Every URL found in a text, masked with redactUrl. */
export function redactUrlsIn(text: string): string {
  return text.includes('://') ? text.replace(urlInText, redactUrl) : text;
}

/** Every form of these secrets the redactor masks: raw, URL-encoded, form-encoded and JSON-escaped, longest first. */
function secretVariants(secretValues: readonly (string | undefined)[]): string[] {
  const variants = new Set<string>();
  for (const secret of secretValues) {
    // Short values would mask innocent text ("1", "us"); secrets are never that short.
    if (secret === undefined || secret.length < 4) continue;
    variants.add(secret);
    variants.add(encodeURIComponent(secret));
    variants.add(new URLSearchParams({ s: secret }).toString().slice(2));
    variants.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret containing another is masked whole.
  return [...variants].sort((a, b) => b.length - a.length);
}

/**
 * A redactor for one set of secret values: each value is masked raw,
 * URL-encoded, form-encoded and JSON-escaped, and URL credentials in the text
 * are masked by name (redactUrl).
 */
export function createRedactor(secretValues: readonly (string | undefined)[]): Redactor {
  const ordered = secretVariants(secretValues);
  return (text) => {
    let out = text;
    for (const v of ordered) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return redactUrlsIn(out);
  };
}

/**
 * Whether masking the value that a JSON text encodes (redactValue with these secrets' redactor)
 * might change it, judged on the text alone; false means the text is already the masked value's
 * JSON, so it need not be walked. It says true when any secret variant occurs in the text as is or
 * as JSON escapes it, when a URL in it carries credentials, and when the text has both a URL and
 * an escape (inside a string the URL pattern reads through control characters, such as a
 * backspace, that JSON writes as an escape, where it stops).
 */
export function createJsonMaskCheck(secretValues: readonly (string | undefined)[]): (json: string) => boolean {
  // (A secret with a lone surrogate, which would escape differently inside a longer string, makes
  // encodeURIComponent throw in secretVariants: no redactor is ever built for one.)
  const inText = [...new Set(secretVariants(secretValues).flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]))];
  return (json) => {
    for (const v of inText) if (json.includes(v)) return true;
    if (!json.includes('://')) return false;
    return json.includes('\\') || redactUrlsIn(json) !== json;
  };
}

/** Headers with a sensitive name are masked whole; the others pass through the redactor. */
export function redactHeaders(headers: Record<string, string>, redact: Redactor): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = isSensitiveName(name) ? REDACTED : redact(value);
  return out;
}

/**
 * Masks every string (and object key) of a JSON-like value. It walks values
 * rather than JSON text, so a secret that JSON would escape is still found.
 */
export function redactValue<T>(value: T, redact: Redactor): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[redact(k)] = walk(item);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/**
 * Secret values a settings object holds whatever the plugin declared: the
 * credentials of every URL in it (user-info, sensitive query parameters) and
 * the values of nested maps under sensitive names (a `headers: { X-Auth: … }`
 * setting). A safety net under the plugin's own `secrets`/`secretValues`.
 */
export function secretsInSettings(settings: unknown): string[] {
  const found: string[] = [];
  const fromUrl = (url: string) => {
    const userinfo = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#@\s]*)@/.exec(url)?.[1];
    if (userinfo !== undefined) {
      const colon = userinfo.indexOf(':');
      found.push(decodeName(colon === -1 ? userinfo : userinfo.slice(colon + 1)));
    }
    const q = url.indexOf('?');
    if (q === -1) return;
    for (const pair of url.slice(q + 1).split('#')[0]!.split('&')) {
      const eq = pair.indexOf('=');
      if (eq === -1 || !isSensitiveName(decodeName(pair.slice(0, eq)))) continue;
      const value = pair.slice(eq + 1);
      if (value !== '' && !value.includes('{{')) found.push(decodeName(value));
    }
  };
  const walk = (v: unknown, name: string | undefined, depth: number) => {
    if (typeof v === 'string') {
      if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(v)) fromUrl(v);
      // Top-level names are the plugin's to declare (a `project_key` is not a secret); nested maps are user data such as headers.
      else if (depth > 1 && name !== undefined && isSensitiveName(name) && !v.includes('{{')) found.push(v.replace(/^(Bearer|Basic|Token)\s+/i, ''));
      return;
    }
    if (Array.isArray(v)) v.forEach((item) => walk(item, name, depth + 1));
    else if (v !== null && typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(item, k, depth + 1);
  };
  walk(settings, undefined, 0);
  return found;
}

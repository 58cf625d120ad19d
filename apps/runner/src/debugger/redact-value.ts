/** Masks secrets in every string of a JSON-like value. */
export type RedactValue = <T>(value: T) => T;

/**
 * The spool already stores redacted exchanges; this second pass (when the
 * runner hands over its integrations' redactors) covers what a plugin put in
 * its mapped payload or result text. It walks values rather than JSON text, so
 * a secret that JSON would escape is still found.
 */
export function createValueRedactor(redactText: ((text: string) => string) | undefined): RedactValue {
  if (redactText === undefined) return <T>(value: T) => value;
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return redactText(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[redactText(k)] = walk(v);
      return out;
    }
    return value;
  };
  return <T>(value: T) => walk(value) as T;
}

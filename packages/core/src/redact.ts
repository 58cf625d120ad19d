/**
 * Secrets never leave the process unmasked: the delivery log, error messages
 * and logs pass through a redactor built from the integration's secret values.
 */
export const REDACTED = '[REDACTED]';

/** Header names masked whatever their value. */
const sensitiveHeader = /^(authorization|proxy-authorization|cookie|x-api-key)$|passcode|secret|token|password/i;

export type Redactor = (text: string) => string;

export function createRedactor(secretValues: readonly (string | undefined)[]): Redactor {
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
  const ordered = [...variants].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const v of ordered) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  };
}

export function redactHeaders(headers: Record<string, string>, redact: Redactor): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = sensitiveHeader.test(name) ? REDACTED : redact(value);
  return out;
}

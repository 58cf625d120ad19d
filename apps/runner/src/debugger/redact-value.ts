import { redactValue } from '@signal/core';

/** Masks secrets in every string of a JSON-like value. */
export type RedactValue = <T>(value: T) => T;

/**
 * The spool already stores redacted records and exchanges; this second pass
 * (when the runner hands over its integrations' redactors) covers what was
 * stored before, or by another runner. Core's redactValue: one set of rules.
 */
export function createValueRedactor(redactText: ((text: string) => string) | undefined): RedactValue {
  if (redactText === undefined) return <T>(value: T) => value;
  return <T>(value: T) => redactValue(value, redactText);
}

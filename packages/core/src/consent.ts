import type { SignalEvent } from './event.js';

/**
 * An integration configured with `consent: [marketing]` receives an event only
 * if the event carries every listed category. Compared case-insensitively, since
 * consent managers disagree on case (`Marketing`, `marketing`).
 */
export function hasConsent(event: Pick<SignalEvent, 'context'>, required: readonly string[]): boolean {
  if (required.length === 0) return true;
  const granted = new Set((event.context?.consent?.categories ?? []).map((c) => c.toLowerCase()));
  return required.every((category) => granted.has(category.toLowerCase()));
}

export function missingConsent(event: Pick<SignalEvent, 'context'>, required: readonly string[]): string[] {
  const granted = new Set((event.context?.consent?.categories ?? []).map((c) => c.toLowerCase()));
  return required.filter((category) => !granted.has(category.toLowerCase()));
}

import type { SignalEvent } from '@signal/core';

/**
 * Identify-traits memory, shared by every spool driver: a plugin's pure
 * transform cannot look things up, so the spool copies what it remembers of a
 * user (e.g. the email CleverTap needs as identity) into each later event's
 * `context.traits`. The event's own values always win.
 */
export type Traits = Record<string, unknown>;

/** Keys under which a user's traits are remembered: user_id and anonymous_id both, so an anonymous event finds them too. */
export function traitKeys(event: Pick<SignalEvent, 'user_id' | 'anonymous_id'>): string[] {
  const keys: string[] = [];
  if (event.anonymous_id !== undefined) keys.push(`a:${event.anonymous_id}`);
  if (event.user_id !== undefined) keys.push(`u:${event.user_id}`);
  return keys;
}

/** Merges remembered traits (anonymous first, then user: the later wins) into one object. */
export function mergeRemembered(found: readonly (Traits | undefined)[]): Traits {
  return Object.assign({}, ...found.filter((t) => t !== undefined)) as Traits;
}

/**
 * Returns the event as stored and what to remember afterwards.
 * `remembered` is what the spool already knew about this user.
 */
export function applyTraitsMemory(event: SignalEvent, remembered: Traits): { event: SignalEvent; remember?: Traits } {
  const own = (event.context as { traits?: unknown }).traits;
  const ownTraits = typeof own === 'object' && own !== null && !Array.isArray(own) ? (own as Traits) : {};
  const isIdentify = event.type === 'identify' && Object.keys(event.traits).length > 0;
  const known = isIdentify ? { ...remembered, ...event.traits } : remembered;
  const merged = { ...known, ...ownTraits };
  const stored = Object.keys(merged).length === 0 ? event : { ...event, context: { ...event.context, traits: merged } };
  return isIdentify ? { event: stored, remember: known } : { event: stored };
}

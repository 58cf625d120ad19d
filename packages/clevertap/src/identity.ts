import { DropEventError, type SignalEvent } from '@signal/core';
import type { CleverTapSettings } from './settings.js';

/** Who a record belongs to: exactly one of CleverTap's `identity` or `objectId`. */
export type RecordIdentity = { identity: string; objectId?: never } | { objectId: string; identity?: never };

function idText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A trait of the event's user: on identify its own traits; on other calls the traits the runner remembered (`context.traits`). */
function traitOf(event: SignalEvent, name: string): unknown {
  const own = (record: Record<string, unknown> | undefined) => (record !== undefined && Object.hasOwn(record, name) ? record[name] : undefined);
  const contextTraits = (event.context as { traits?: Record<string, unknown> } | undefined)?.traits;
  return (event.type === 'identify' ? own(event.traits) : undefined) ?? own(contextTraits);
}

function identityValue(event: SignalEvent, settings: CleverTapSettings): string | undefined {
  switch (settings.identity_from) {
    case 'user_id':
      return idText(event.user_id);
    case 'trait':
      return idText(traitOf(event, settings.identity_trait ?? ''));
    default:
      return idText(traitOf(event, 'email'));
  }
}

function objectIdValue(event: SignalEvent, settings: CleverTapSettings): string | undefined {
  if (settings.object_id_from === 'user_id') return idText(event.user_id);
  if (settings.object_id_from === 'anonymous_id') return idText(event.anonymous_id);
  return undefined;
}

function identityName(settings: CleverTapSettings): string {
  if (settings.identity_from === 'trait') return `trait "${settings.identity_trait ?? ''}"`;
  return settings.identity_from === 'user_id' ? 'user_id' : 'email';
}

/**
 * The identity rule, from the settings: `identity` from `identity_from`; else
 * `objectId` from `object_id_from`; else, for an anonymous-only event (no
 * user_id), `anonymous_events` decides: send anonymous_id as objectId, or drop.
 * Anything still without an id is dropped with the reason: CleverTap could not
 * place it (its error 523), and it is the settings, not the event, that say so.
 */
export function identityOf(event: SignalEvent, settings: CleverTapSettings): RecordIdentity {
  const identity = identityValue(event, settings);
  if (identity !== undefined) return { identity };
  const objectId = objectIdValue(event, settings);
  if (objectId !== undefined) return { objectId };
  const anonymousId = idText(event.anonymous_id);
  if (idText(event.user_id) === undefined) {
    if (settings.anonymous_events === 'object_id' && anonymousId !== undefined) return { objectId: anonymousId };
    throw new DropEventError(
      `anonymous event (no user_id) without a CleverTap identity (${identityName(settings)} unknown); anonymous_events: drop. ` +
        'Set anonymous_events: object_id to send anonymous_id as objectId',
    );
  }
  throw new DropEventError(`no CleverTap identity for this user yet (${identityName(settings)} unknown) and object_id_from: ${settings.object_id_from}`);
}

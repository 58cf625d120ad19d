import { PayloadValidationError, type MappedEvent, type SignalEvent, type TransformContext } from '@signal/core';
import type { CleverTapSettings } from './settings.js';
import { assertChargedItems, assertEventName, assertValueSizes } from './validate.js';

/** Who a record belongs to: `identity` (the user's email) when known, else `objectId` (Signal's user_id). */
export type RecordIdentity = { identity: string; objectId?: never } | { objectId: string; identity?: never };

export type EventRecord = RecordIdentity & { type: 'event'; ts: number; evtName: string; evtData: Record<string, unknown> };
export type ProfileRecord = RecordIdentity & { type: 'profile'; ts: number; profileData: Record<string, unknown> };
export type CleverTapRecord = EventRecord | ProfileRecord;

const CHARGED = 'Charged';

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The identity rule: the email from identify (`traits.email` on the identify
 * call itself, or `context.traits.email` — remembered from that user's earlier
 * identify — on track/page) is the identity; without one, `user_id` is sent as
 * `objectId`; with neither, CleverTap cannot place the record (its error 523).
 */
export function identityOf(event: SignalEvent): RecordIdentity {
  const contextTraits = (event.context as { traits?: Record<string, unknown> }).traits;
  const email = nonEmptyString(event.traits['email']) ?? nonEmptyString(contextTraits?.['email']);
  if (email !== undefined) return { identity: email };
  if (event.user_id !== undefined) return { objectId: event.user_id };
  throw new PayloadValidationError(
    'CleverTap needs an identity: no email trait is known for this user (call identify with traits.email) and the event has no user_id',
    'clevertap_523',
  );
}

/** CleverTap's `ts` is Unix seconds. */
export function epochSeconds(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new PayloadValidationError(`timestamp "${iso}" is not a date`, 'clevertap_525');
  return Math.floor(ms / 1000);
}

/** CleverTap stores dates as `$D_<epoch seconds>`; a plain date string would be kept as text. */
function toCleverTapDate(value: unknown): unknown {
  if (typeof value !== 'string' || value.startsWith('$D_')) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : `$D_${Math.floor(ms / 1000)}`;
}

/** Revenue sent as a numeric string would not count in CleverTap's revenue reports. */
function toAmount(value: unknown): unknown {
  if (typeof value !== 'string' || value.trim() === '') return value;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

export function transform(mapped: MappedEvent, _ctx: TransformContext<CleverTapSettings>): CleverTapRecord {
  const { event } = mapped;
  const who = identityOf(event);
  const ts = epochSeconds(event.timestamp);
  const data: Record<string, unknown> = { ...mapped.fields, ...mapped.properties };

  if (event.type === 'identify') {
    if ('DOB' in data) data['DOB'] = toCleverTapDate(data['DOB']);
    assertValueSizes(data, 'profile property');
    return { type: 'profile', ...who, ts, profileData: data } as ProfileRecord;
  }

  assertEventName(mapped.name);
  if (mapped.name === CHARGED) {
    assertChargedItems(data['Items']);
    if ('Amount' in data) data['Amount'] = toAmount(data['Amount']);
  }
  assertValueSizes(data, 'event property');
  // Key order as in CleverTap's doc: type, identity|objectId, ts, evtName, evtData.
  return { type: 'event', ...who, ts, evtName: mapped.name, evtData: data } as EventRecord;
}

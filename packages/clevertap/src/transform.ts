import { PayloadValidationError, type MappedEvent, type TransformContext } from '@signal/core';
import { identityOf, type RecordIdentity } from './identity.js';
import type { CleverTapSettings } from './settings.js';
import { assertChargedItems, assertEventName, assertKeyLengths, assertValueSizes } from './validate.js';
import { profileDataOf, scalarOf } from './values.js';

export { identityOf, type RecordIdentity } from './identity.js';

export type EventRecord = RecordIdentity & { type: 'event'; ts: number; evtName: string; evtData: Record<string, unknown> };
export type ProfileRecord = RecordIdentity & { type: 'profile'; ts: number; profileData: Record<string, unknown> };
export type CleverTapRecord = EventRecord | ProfileRecord;

const CHARGED = 'Charged';
const CHARGED_ITEMS = 'Items';

/** CleverTap's `ts` is Unix seconds. */
export function epochSeconds(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new PayloadValidationError(`timestamp "${iso}" is not a date`, 'clevertap_525');
  return Math.floor(ms / 1000);
}

/** Revenue sent as a numeric string would not count in CleverTap's revenue reports. */
function toAmount(value: unknown): unknown {
  if (typeof value !== 'string' || value.trim() === '') return value;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

/** Event properties are scalars for CleverTap: objects and arrays go as JSON text, except Charged Items (a list of products). */
function eventDataOf(name: string, data: Map<string, unknown>): Record<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of data) {
    if (name === CHARGED && key === CHARGED_ITEMS) out.set(key, value);
    else if (name === CHARGED && key === 'Amount') out.set(key, toAmount(value));
    else out.set(key, scalarOf(value));
  }
  return Object.fromEntries(out);
}

export function transform(mapped: MappedEvent, ctx: TransformContext<CleverTapSettings>): CleverTapRecord {
  const { event } = mapped;
  const who = identityOf(event, ctx.settings);
  const ts = epochSeconds(event.timestamp);
  const data = new Map<string, unknown>([...Object.entries(mapped.fields), ...Object.entries(mapped.properties)]);

  if (event.type === 'identify') {
    const profileData = profileDataOf(data);
    assertKeyLengths(profileData, 'profile property');
    assertValueSizes(profileData, 'profile property');
    return { type: 'profile', ...who, ts, profileData } as ProfileRecord;
  }

  assertEventName(mapped.name);
  if (mapped.name === CHARGED) assertChargedItems(data.get(CHARGED_ITEMS));
  const evtData = eventDataOf(mapped.name, data);
  assertKeyLengths(evtData, 'event property');
  assertValueSizes(evtData, 'event property');
  // Key order as in CleverTap's doc: type, identity|objectId, ts, evtName, evtData.
  return { type: 'event', ...who, ts, evtName: mapped.name, evtData } as EventRecord;
}

import { PayloadValidationError, type MappedEvent, type TransformContext } from '@signal/core';
import type { LeanplumSettings } from './settings.js';

/** Leanplum's own limits (API reference): names 1–139 chars, ids ≤ 400 chars, ≤ 50 params per event. */
export const MAX_EVENT_NAME_LENGTH = 139;
export const MAX_ID_LENGTH = 400;
export const MAX_PARAMS = 50;

type Scalar = string | number | boolean | null;

interface Identity {
  userId?: string;
  deviceId?: string;
}

export interface TrackRecord extends Identity {
  action: 'track';
  event: string;
  /** Seconds since the epoch (fractional when the event has milliseconds). */
  time: number;
  value?: number;
  currencyCode?: string;
  info?: string;
  params?: Record<string, string>;
}

export interface UserAttributesRecord extends Identity {
  action: 'setUserAttributes';
  userAttributes: Record<string, Scalar>;
}

export type LeanplumRecord = TrackRecord | UserAttributesRecord;

/** Top-level track fields a mapping rule's `fields` may fill. */
const trackFields = new Set(['value', 'currencyCode', 'info']);

/** Mapped event → one Leanplum action. Pure: time comes from the event's timestamp. */
export function toLeanplumRecord(mapped: MappedEvent, ctx: TransformContext<LeanplumSettings>): LeanplumRecord {
  const identity = identityOf(mapped);
  if (mapped.event.type === 'identify') {
    return { action: 'setUserAttributes', ...identity, userAttributes: userAttributesOf(mapped.properties) };
  }
  const name = mapped.name;
  if (name.length < 1 || name.length > MAX_EVENT_NAME_LENGTH) {
    throw new PayloadValidationError(`event name must be 1–${MAX_EVENT_NAME_LENGTH} characters (got ${name.length})`, 'invalid_event_name');
  }
  const record: TrackRecord = { action: 'track', ...identity, event: name, time: secondsOf(mapped.event.timestamp) };
  for (const [field, raw] of Object.entries(mapped.fields)) {
    if (!trackFields.has(field)) {
      throw new PayloadValidationError(`mapping field "${field}" is not a Leanplum track field (use one of: ${[...trackFields].join(', ')})`, 'unknown_field');
    }
    if (raw === null || raw === undefined) continue;
    if (field === 'value') record.value = numberOf('value', raw);
    else record[field as 'currencyCode' | 'info'] = textOf(field, raw);
  }
  const params = paramsOf(mapped.properties, new Set(ctx.settings.money_properties.map((p) => p.toLowerCase())));
  if (Object.keys(params).length > 0) record.params = params;
  return record;
}

/** userId from user_id; anonymous_id only as a fallback deviceId (pre-login activity). */
function identityOf(mapped: MappedEvent): Identity {
  const { user_id, anonymous_id } = mapped.event;
  const [key, id] = user_id !== undefined ? (['userId', user_id] as const) : (['deviceId', anonymous_id] as const);
  if (id === undefined || id === '') throw new PayloadValidationError('a user_id or anonymous_id is required (Leanplum userId / deviceId)', 'missing_identity');
  if (id.length > MAX_ID_LENGTH) throw new PayloadValidationError(`${key} must be at most ${MAX_ID_LENGTH} characters (got ${id.length})`, 'invalid_identity');
  return { [key]: id };
}

function secondsOf(timestamp: string): number {
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) throw new PayloadValidationError(`timestamp "${timestamp}" is not a date`, 'invalid_timestamp');
  return ms / 1000;
}

function numberOf(field: string, raw: unknown): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new PayloadValidationError(`${field} must be a number (got ${JSON.stringify(raw)})`, 'invalid_value');
  return n;
}

function textOf(field: string, raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new PayloadValidationError(`${field} must be a string (got ${Array.isArray(raw) ? 'an array' : typeof raw})`, 'invalid_value');
}

/** At least two decimals (6.4 → "6.40", 5 → "5.00"); more precision is kept (1.125 → "1.125"). */
export function formatMoney(n: number): string {
  const text = String(n);
  if (text.includes('e')) return text;
  const decimals = text.split('.')[1]?.length ?? 0;
  return decimals >= 2 ? text : n.toFixed(2);
}

function nestedError(where: string, key: string, value: unknown): PayloadValidationError {
  return new PayloadValidationError(
    `${where}.${key} is ${Array.isArray(value) ? 'an array' : 'a nested object'}; Leanplum ${where} must be flat scalar values — reshape it in the mapping (flatten: true, or omit it)`,
    `nested_${where}`,
  );
}

/** Leanplum params: a flat map of strings. Null values are left out. */
function paramsOf(properties: Record<string, unknown>, money: ReadonlySet<string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') throw nestedError('params', key, value);
    if (typeof value === 'number') params[key] = money.has(key.toLowerCase()) ? formatMoney(value) : String(value);
    else params[key] = String(value);
  }
  const count = Object.keys(params).length;
  if (count > MAX_PARAMS) throw new PayloadValidationError(`params must have at most ${MAX_PARAMS} keys (got ${count})`, 'too_many_params');
  return params;
}

/** Traits keep their JSON types (null unsets an attribute in Leanplum); nesting is refused. */
function userAttributesOf(traits: Record<string, unknown>): Record<string, Scalar> {
  const attributes: Record<string, Scalar> = {};
  for (const [key, value] of Object.entries(traits)) {
    if (value === undefined) continue;
    if (value !== null && typeof value === 'object') throw nestedError('userAttributes', key, value);
    attributes[key] = value as Scalar;
  }
  return attributes;
}

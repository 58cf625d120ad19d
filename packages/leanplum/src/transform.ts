import { PayloadValidationError, type MappedEvent, type TransformContext } from '@signal/core';
import { assertName } from './names.js';
import type { LeanplumSettings } from './settings.js';

/** Leanplum's own limits (API reference): ids ≤ 400 chars, ≤ 50 params per event. Name rules: names.ts. */
export { MAX_NAME_LENGTH as MAX_EVENT_NAME_LENGTH } from './names.js';
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

/** Leanplum's own user fields that setUserAttributes takes beside `userAttributes`. */
export interface UserFields {
  locale?: string;
  country?: string;
  region?: string;
  city?: string;
  /** When the user was created, in seconds since the epoch. */
  created?: number;
}

export interface UserAttributesRecord extends Identity, UserFields {
  action: 'setUserAttributes';
  userAttributes: Record<string, Scalar>;
}

export type LeanplumRecord = TrackRecord | UserAttributesRecord;

/** Top-level track fields a mapping rule's `fields` may fill. */
const trackFields = new Set(['value', 'currencyCode', 'info']);

/** Mapped event → one Leanplum action. Pure: time comes from the event's timestamp. */
export function toLeanplumRecord(mapped: MappedEvent, ctx: TransformContext<LeanplumSettings>): LeanplumRecord {
  if (mapped.event.type === 'identify') return userAttributesRecord(mapped);
  const name = mapped.name;
  assertName('event', name);
  const record: TrackRecord = { action: 'track', ...trackIdentity(mapped), event: name, time: secondsOf(mapped.event.timestamp) };
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

function checkedId(key: keyof Identity, id: string): string {
  if (id.length > MAX_ID_LENGTH) throw new PayloadValidationError(`${key} must be at most ${MAX_ID_LENGTH} characters (got ${id.length})`, 'invalid_identity');
  return id;
}

const missingIdentity = () => new PayloadValidationError('a user_id or anonymous_id is required (Leanplum userId / deviceId)', 'missing_identity');

/** Track and page: userId from user_id; anonymous_id only as a fallback deviceId (pre-login activity). */
function trackIdentity(mapped: MappedEvent): Identity {
  const { user_id, anonymous_id } = mapped.event;
  if (user_id !== undefined && user_id !== '') return { userId: checkedId('userId', user_id) };
  if (anonymous_id !== undefined && anonymous_id !== '') return { deviceId: checkedId('deviceId', anonymous_id) };
  throw missingIdentity();
}

/**
 * Identify: both ids when both are known. A call carrying userId and deviceId
 * associates the device with the user, which is how Leanplum merges the
 * anonymous (pre-login) profile into the known one.
 */
function identifyIdentity(mapped: MappedEvent): Identity {
  const { user_id, anonymous_id } = mapped.event;
  const identity: Identity = {};
  if (user_id !== undefined && user_id !== '') identity.userId = checkedId('userId', user_id);
  if (anonymous_id !== undefined && anonymous_id !== '') identity.deviceId = checkedId('deviceId', anonymous_id);
  if (identity.userId === undefined && identity.deviceId === undefined) throw missingIdentity();
  return identity;
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

/**
 * Leanplum params and attributes are flat, and every distinct name counts
 * against the app's cap; so a nested object or array is sent as its compact
 * JSON text under its own one name, never flattened into many.
 */
function flatValue(value: object): string {
  return JSON.stringify(value);
}

/** Leanplum params: a flat map of strings. Null values are left out. */
function paramsOf(properties: Record<string, unknown>, money: ReadonlySet<string>): Record<string, string> {
  const params: [string, string][] = [];
  for (const [key, value] of Object.entries(properties)) {
    if (value === null || value === undefined) continue;
    assertName('parameter', key);
    if (typeof value === 'object') params.push([key, flatValue(value)]);
    else if (typeof value === 'number') params.push([key, money.has(key.toLowerCase()) ? formatMoney(value) : String(value)]);
    else params.push([key, String(value)]);
  }
  if (params.length > MAX_PARAMS) throw new PayloadValidationError(`params must have at most ${MAX_PARAMS} keys (got ${params.length})`, 'too_many_params');
  return Object.fromEntries(params);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * Segment's standard traits that have a Leanplum user field go there instead of
 * a custom attribute: `address.city`/`city` → city, `address.state`/`state`
 * (or `region`) → region, `address.country`/`country` → country (only an
 * ISO 3166 two-letter code, Leanplum's format), `locale` (or the event's
 * `context.locale`) → locale, `createdAt` → created. What such a trait holds
 * beyond those (e.g. `address.street`) stays a custom attribute.
 */
function userFieldsOf(mapped: MappedEvent, traits: Map<string, unknown>): UserFields {
  const fields: UserFields = {};
  const address = isObject(traits.get('address')) ? new Map(Object.entries(traits.get('address') as object)) : undefined;
  const take = (from: Map<string, unknown> | undefined, key: string, accept: (v: unknown) => string | undefined = text): string | undefined => {
    const value = from === undefined ? undefined : accept(from.get(key));
    if (value !== undefined) from!.delete(key);
    return value;
  };
  const countryCode = (v: unknown) => (typeof v === 'string' && /^[A-Za-z]{2}$/.test(v.trim()) ? v.trim().toUpperCase() : undefined);
  const city = take(address, 'city') ?? take(traits, 'city');
  const region = take(address, 'state') ?? take(address, 'region') ?? take(traits, 'state') ?? take(traits, 'region');
  const country = take(address, 'country', countryCode) ?? take(traits, 'country', countryCode);
  const locale = take(traits, 'locale') ?? text(mapped.event.context?.locale);
  if (address !== undefined) {
    if (address.size === 0) traits.delete('address');
    else traits.set('address', Object.fromEntries(address));
  }
  if (locale !== undefined) fields.locale = locale;
  if (country !== undefined) fields.country = country;
  if (region !== undefined) fields.region = region;
  if (city !== undefined) fields.city = city;
  const createdAt = traits.get('createdAt');
  const createdMs = typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN;
  if (!Number.isNaN(createdMs)) {
    fields.created = createdMs / 1000;
    traits.delete('createdAt');
  }
  return fields;
}

/** Traits keep their JSON types (null unsets an attribute in Leanplum); nested values are JSON text. */
function userAttributesRecord(mapped: MappedEvent): UserAttributesRecord {
  const traits = new Map(Object.entries(mapped.properties));
  const fields = userFieldsOf(mapped, traits);
  const attributes: [string, Scalar][] = [];
  for (const [key, value] of traits) {
    if (value === undefined) continue;
    assertName('user attribute', key);
    attributes.push([key, value !== null && typeof value === 'object' ? flatValue(value) : (value as Scalar)]);
  }
  return { action: 'setUserAttributes', ...identifyIdentity(mapped), userAttributes: Object.fromEntries(attributes), ...fields };
}

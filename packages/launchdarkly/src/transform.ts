import { getPath, PayloadValidationError, type MappedEvent, type TransformContext } from '@signal/core';
import { limits } from './limits.js';
import type { LaunchDarklySettings } from './settings.js';

/** One LaunchDarkly custom event, keys in the order the import API documents them. */
export interface CustomEvent {
  kind: 'custom';
  key: string;
  creationDate: number;
  metricValue?: number;
  /** Context kind → key: the main kind (`context_kind`, default `user`) first, then `context_keys` in settings order. */
  contextKeys: Record<string, string>;
  data: Record<string, unknown>;
}

/** Revenue often arrives as a string ("89.99"); LaunchDarkly needs a number, so a numeric string is converted. */
function metricValueOf(raw: unknown, eventName: string): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'string' ? Number(raw.trim()) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PayloadValidationError(`"${eventName}": metricValue must be a number (got ${JSON.stringify(raw)})`, 'invalid_metric_value');
  }
  return value;
}

function contextKeyOf(mapped: MappedEvent): string {
  // A rule may point `fields.contextKey` elsewhere when the SDK evaluates flags with another key.
  const override = mapped.fields['contextKey'];
  if (typeof override === 'string' && override !== '') return override;
  if (typeof override === 'number') return String(override);
  const key = mapped.event.user_id ?? mapped.event.anonymous_id;
  if (key === undefined) throw new PayloadValidationError('the event has neither user_id nor anonymous_id', 'missing_context_key');
  return key;
}

/** A key read from the event: a string or number; absent → no key; anything else is a mapping mistake. */
function extraKeyOf(mapped: MappedEvent, kind: string, path: string): string | undefined {
  const value = getPath(mapped.event, path);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new PayloadValidationError(`context_keys.${kind} reads ${path}, which is ${Array.isArray(value) ? 'an array' : typeof value}; a context key must be a string`, 'invalid_context_key');
}

/** The main key under `context_kind`, then each `context_keys` kind whose path the event has. */
function contextKeysOf(mapped: MappedEvent, settings: Pick<LaunchDarklySettings, 'context_kind' | 'context_keys'> | undefined): Record<string, string> {
  const keys: [string, string][] = [[settings?.context_kind ?? 'user', contextKeyOf(mapped)]];
  for (const [kind, path] of Object.entries(settings?.context_keys ?? {})) {
    const key = extraKeyOf(mapped, kind, path);
    if (key !== undefined) keys.push([kind, key]);
  }
  return Object.fromEntries(keys);
}

/** Mapped event → custom event. Pure: the time is the event's own timestamp, in milliseconds. */
export function toCustomEvent(mapped: MappedEvent, ctx?: TransformContext<LaunchDarklySettings>): CustomEvent {
  const creationDate = Date.parse(mapped.event.timestamp);
  if (Number.isNaN(creationDate)) {
    throw new PayloadValidationError(`timestamp ${JSON.stringify(mapped.event.timestamp)} is not a date`, 'invalid_timestamp');
  }
  const metricValue = metricValueOf(mapped.fields['metricValue'], mapped.name);
  const record: CustomEvent = {
    kind: 'custom',
    key: mapped.name,
    creationDate,
    ...(metricValue === undefined ? {} : { metricValue }),
    contextKeys: contextKeysOf(mapped, ctx?.settings),
    data: mapped.properties,
  };
  // One oversized event would get the whole batch refused with 413; reject it alone instead.
  const bytes = Buffer.byteLength(JSON.stringify(record));
  if (bytes > (limits.maxBatchBytes ?? Infinity)) {
    throw new PayloadValidationError(`"${mapped.name}" is ${bytes} bytes as JSON; LaunchDarkly import bodies must stay under 10 MB`, 'event_too_large');
  }
  return record;
}

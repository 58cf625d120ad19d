import { PayloadValidationError, type MappedEvent, type TransformContext } from '@signal/core';
import { limits } from './limits.js';
import type { LaunchDarklySettings } from './settings.js';

/** One LaunchDarkly custom event, keys in the order the import API documents them. */
export interface CustomEvent {
  kind: 'custom';
  key: string;
  creationDate: number;
  metricValue?: number;
  contextKeys: { user: string };
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

/** Mapped event → custom event. Pure: the time is the event's own timestamp, in milliseconds. */
export function toCustomEvent(mapped: MappedEvent, _ctx?: TransformContext<LaunchDarklySettings>): CustomEvent {
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
    contextKeys: { user: contextKeyOf(mapped) },
    data: mapped.properties,
  };
  // One oversized event would get the whole batch refused with 413; reject it alone instead.
  const bytes = Buffer.byteLength(JSON.stringify(record));
  if (bytes > (limits.maxBatchBytes ?? Infinity)) {
    throw new PayloadValidationError(`"${mapped.name}" is ${bytes} bytes as JSON; LaunchDarkly import bodies must stay under 10 MB`, 'event_too_large');
  }
  return record;
}

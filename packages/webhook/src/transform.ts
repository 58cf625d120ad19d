import { PayloadValidationError, SettingsError, type MappedEvent } from '@signal/core';
import type { WebhookSettings } from './settings.js';
import { parseTemplate, renderText, renderValue, stringifyValue, type Template } from './template.js';

/** One event's part of a webhook request: where it goes and what it says. */
export interface WebhookRecord {
  url: string;
  /** JSON value for application/json; the encoded form string for x-www-form-urlencoded. */
  body: unknown;
}

/** What templates can read: the event's own fields plus `mapped.{name,properties,fields}`. */
export function templateScope(mapped: MappedEvent): Record<string, unknown> {
  return { ...mapped.event, mapped: { name: mapped.name, properties: mapped.properties, fields: mapped.fields } };
}

function compile(source: string, field: string): Template {
  const parsed = parseTemplate(source);
  // Settings validation already refused bad templates; this guards a hand-built settings object.
  if (!parsed.ok) throw new SettingsError(`${field}: bad template: ${parsed.message}`, [{ path: field, message: parsed.message }]);
  return parsed.template;
}

/** The event as Signal knows it, with the mapping applied (track name, property renames/omits). */
export function canonicalBody(mapped: MappedEvent): Record<string, unknown> {
  const { event } = mapped;
  if (event.type === 'identify') return { ...event, traits: mapped.properties };
  if (event.type === 'track') return { ...event, event: mapped.name, properties: mapped.properties };
  return { ...event, properties: mapped.properties };
}

export function renderUrl(settings: Pick<WebhookSettings, 'url'>, scope: unknown): string {
  const rendered = renderText(compile(settings.url, 'url'), scope, encodeURIComponent);
  if (!URL.canParse(rendered)) throw new PayloadValidationError('the rendered webhook URL is not valid', 'invalid_url');
  const url = new URL(rendered);
  url.hash = '';
  return url.toString();
}

export function renderData(data: NonNullable<WebhookSettings['data']>, scope: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    out[key] = typeof value === 'string' ? renderValue(compile(value, `data.${key}`), scope) : value;
  }
  return out;
}

/** Mapped event → webhook record. Pure: same event and settings, same record. */
export function toWebhookRecord(mapped: MappedEvent, settings: WebhookSettings): WebhookRecord {
  const scope = templateScope(mapped);
  const url = renderUrl(settings, scope);
  if (settings.data === undefined) return { url, body: canonicalBody(mapped) };
  const data = renderData(settings.data, scope);
  if (settings.content_type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(data)) form.append(key, stringifyValue(value));
    return { url, body: form.toString() };
  }
  return { url, body: data };
}

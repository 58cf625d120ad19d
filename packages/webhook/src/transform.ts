import { PayloadValidationError, SettingsError, type MappedEvent } from '@signal/core';
import type { WebhookSettings } from './settings.js';
import { headerValue, urlComponent } from './encode.js';
import { hasExpressions, parseTemplate, renderText, renderValue, stringifyValue, type Template } from './template.js';

/** One event's part of a webhook request: where it goes and what it says. */
export interface WebhookRecord {
  url: string;
  /** JSON value for application/json; the encoded form string for x-www-form-urlencoded. */
  body: unknown;
  /** Header values rendered from this event (the templated ones only; literal headers come from settings). */
  headers?: Record<string, string>;
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
  const rendered = renderText(compile(settings.url, 'url'), scope, urlComponent);
  if (!URL.canParse(rendered)) throw new PayloadValidationError('the rendered webhook URL is not valid', 'invalid_url');
  const url = new URL(rendered);
  url.hash = '';
  return url.toString();
}

export function renderData(data: NonNullable<WebhookSettings['data']>, scope: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, typeof value === 'string' ? renderValue(compile(value, `data.${key}`), scope) : value]));
}

/** Templated header values, rendered with every substituted value percent-encoded (so any event data makes a valid header). */
export function renderHeaders(headers: WebhookSettings['headers'], scope: unknown): Record<string, string> | undefined {
  const rendered: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    const template = compile(value, `headers.${name}`);
    if (hasExpressions(template)) rendered.push([name, renderText(template, scope, headerValue)]);
  }
  return rendered.length === 0 ? undefined : Object.fromEntries(rendered);
}

/** Mapped event → webhook record. Pure: same event and settings, same record. */
export function toWebhookRecord(mapped: MappedEvent, settings: WebhookSettings): WebhookRecord {
  const scope = templateScope(mapped);
  const url = renderUrl(settings, scope);
  const headers = renderHeaders(settings.headers, scope);
  const record = (body: unknown): WebhookRecord => (headers === undefined ? { url, body } : { url, body, headers });
  if (settings.data === undefined) return record(canonicalBody(mapped));
  const data = renderData(settings.data, scope);
  if (settings.content_type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(data)) form.append(key, stringifyValue(value));
    return record(form.toString());
  }
  return record(data);
}

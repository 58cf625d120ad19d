import type { HttpRequest, Outgoing } from '@signal/core';
import { basicAuthHeader, type WebhookSettings } from './settings.js';
import type { WebhookRecord } from './transform.js';
import { version } from './version.js';

/**
 * JSON bodies are pretty-printed with two-space indent, exactly as the
 * webhook doc shows its example, so what a receiver logs matches the docs.
 */
export function serializeJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Records → the one request that carries them. A batch is a JSON array of the per-event bodies, in order. */
export function buildWebhookRequest(batch: readonly Outgoing<WebhookRecord>[], settings: WebhookSettings): HttpRequest {
  const first = batch[0]!;
  const batching = settings.batch !== undefined;
  const body = batching
    ? serializeJson(batch.map((o) => o.record.body))
    : settings.content_type === 'application/json'
      ? serializeJson(first.record.body)
      : String(first.record.body);
  const headers: Record<string, string> = { 'user-agent': `signal-webhook/${version}`, ...settings.headers, 'content-type': settings.content_type };
  if (settings.basic_auth !== undefined) headers['authorization'] = basicAuthHeader(settings.basic_auth);
  // Lets a receiver drop a retried delivery it already processed (Signal delivers at least once).
  if (!batching) headers['x-signal-message-id'] = first.messageId;
  return { method: settings.method, url: first.record.url, headers, body };
}

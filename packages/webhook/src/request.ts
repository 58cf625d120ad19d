import type { HttpRequest, Outgoing } from '@signal/core';
import { basicAuthHeader, type WebhookSettings } from './settings.js';
import type { WebhookRecord } from './transform.js';
import { version } from './version.js';

/**
 * One event's JSON body is pretty-printed with two-space indent, exactly as
 * the webhook doc shows its example. A batch is compact: its size is then at
 * most the sum of the records' sizes, so `batch.max_bytes` is a hard bound.
 */
export function serializeJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function serializeBatch(values: unknown[]): string {
  return JSON.stringify(values);
}

/** Records → the one request that carries them. A batch is a JSON array of the per-event bodies, in order. */
export function buildWebhookRequest(batch: readonly Outgoing<WebhookRecord>[], settings: WebhookSettings): HttpRequest {
  const first = batch[0]!;
  const batching = settings.batch !== undefined;
  const body = batching
    ? serializeBatch(batch.map((o) => o.record.body))
    : settings.content_type === 'application/json'
      ? serializeJson(first.record.body)
      : String(first.record.body);
  const headers: Record<string, string> = { 'user-agent': `signal-webhook/${version}`, ...settings.headers, 'content-type': settings.content_type };
  if (settings.basic_auth !== undefined) headers['authorization'] = basicAuthHeader(settings.basic_auth);
  // Lets a receiver drop a retried delivery it already processed (Signal delivers at least once).
  if (!batching) headers['x-signal-message-id'] = first.messageId;
  return { method: settings.method, url: first.record.url, headers, body };
}

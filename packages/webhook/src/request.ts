import { createHash } from 'node:crypto';
import type { HttpRequest, Outgoing } from '@signal/core';
import { headerValue } from './encode.js';
import { basicAuthHeader, type WebhookSettings } from './settings.js';
import { signatureHeaders } from './signing.js';
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

/** A batch's id: stable for the same events in the same order, so a receiver can drop a batch it already processed. */
export function batchIdOf(batch: readonly Outgoing<WebhookRecord>[]): string {
  const digest = createHash('sha256');
  for (const o of batch) digest.update(`${o.messageId.length}:${o.messageId}`);
  return `batch_${digest.digest('hex').slice(0, 32)}`;
}

/** Records → the one request that carries them. A batch is a JSON array of the per-event bodies, in order. */
export function buildWebhookRequest(batch: readonly Outgoing<WebhookRecord>[], settings: WebhookSettings, now: () => number = Date.now): HttpRequest {
  const first = batch[0]!;
  const batching = settings.batch !== undefined;
  const body = batching
    ? serializeBatch(batch.map((o) => o.record.body))
    : settings.content_type === 'application/json'
      ? serializeJson(first.record.body)
      : String(first.record.body);
  // Templated header values come rendered from the record (settings refuse them when batching).
  const headers: Record<string, string> = { 'user-agent': `signal-webhook/${version}`, ...settings.headers, ...first.record.headers, 'content-type': settings.content_type };
  if (settings.basic_auth !== undefined) headers['authorization'] = basicAuthHeader(settings.basic_auth);
  // Lets a receiver drop a retried delivery it already processed (Signal delivers at least once).
  // Percent-encoded: any message_id the collector accepts (CR, LF, NUL, emoji) makes a valid header.
  const messageId = batching ? batchIdOf(batch) : headerValue(first.messageId);
  if (!batching) headers['x-signal-message-id'] = messageId;
  if (settings.signing_secret !== undefined) Object.assign(headers, signatureHeaders(settings.signing_secret, messageId, Math.floor(now() / 1000), body));
  return { method: settings.method, url: first.record.url, headers, body };
}

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { HttpRequest, Outgoing, RequestContext } from '@signal/core';
import { GZIP_THRESHOLD_BYTES } from './limits.js';
import type { LaunchDarklySettings } from './settings.js';
import { importUrl } from './settings.js';
import type { CustomEvent } from './transform.js';
import pkg from '../package.json' with { type: 'json' };

export const USER_AGENT = `MetricImport-Signal-int/${pkg.version}`;

/**
 * X-LaunchDarkly-Payload-ID lets LaunchDarkly drop a retried import it already
 * counted. It is a pure function of the batch, its records in order (each
 * message id and record), never random or time-based: the plugin declares
 * `idempotentBatches`, so the engine retries an unanswered batch as exactly the
 * same records, and the id repeats. Shaped as an RFC 9562 version-8 (custom) UUID.
 */
export function payloadIdOf(batch: readonly Pick<Outgoing<unknown>, 'messageId' | 'record'>[]): string {
  const digest = createHash('sha256');
  for (const { messageId, record } of batch) {
    const json = JSON.stringify(record) ?? '';
    // Length-prefixed, so moving a boundary between two parts changes the id.
    digest.update(`${messageId.length}:${messageId}${json.length}:${json}`);
  }
  const bytes = digest.digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Records → one import request: a JSON array, gzipped when large. */
export function buildImportRequest(batch: Outgoing<CustomEvent>[], ctx: RequestContext<LaunchDarklySettings>): HttpRequest {
  const { settings } = ctx;
  const json = JSON.stringify(batch.map((o) => o.record));
  const headers: Record<string, string> = {
    Authorization: settings.access_token,
    'Content-Type': 'application/json',
    'X-LaunchDarkly-Event-Schema': '4',
    'X-LaunchDarkly-Payload-ID': payloadIdOf(batch),
    'User-Agent': USER_AGENT,
  };
  if (Buffer.byteLength(json) <= GZIP_THRESHOLD_BYTES) {
    return { method: 'POST', url: importUrl(settings), headers, body: json };
  }
  const gzipped = gzipSync(json);
  return {
    method: 'POST',
    url: importUrl(settings),
    headers: { ...headers, 'Content-Encoding': 'gzip' },
    body: new Uint8Array(gzipped.buffer, gzipped.byteOffset, gzipped.byteLength),
  };
}

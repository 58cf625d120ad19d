import { defineDestination } from '@signal/core';
import { defaultPreset, presets } from './preset.js';
import { buildWebhookRequest } from './request.js';
import { parseWebhookResponse } from './response.js';
import { secretValuesOf, webhookSettingsSchema, type WebhookSettings } from './settings.js';
import { toWebhookRecord, type WebhookRecord } from './transform.js';
import { version } from './version.js';

/**
 * The Leanplum webhook spec's schedule ("Retries"): up to 5 retries, 1 minute
 * after the first failure, then 2, 4, 8 and 16 minutes, no jitter; dead after
 * the 6th attempt (about 31 minutes), with no extra time window. `retry:` in
 * the integration's config overrides any of it.
 */
export const webhookRetryPolicy = { base_ms: 60_000, cap_ms: 3_600_000, max_attempts: 6, min_window_ms: 0, jitter: 'none' } as const;

/**
 * Generic HTTP webhook, modelled on Leanplum's webhook messages: a templated
 * URL, a JSON or form body (templated `data`, or the event itself), basic auth
 * from `user:pass@` in the URL, custom (templated) headers, optional request
 * signing (Standard Webhooks), optional JSON batching, the spec's retry schedule.
 */
export default defineDestination<WebhookSettings, WebhookRecord>({
  id: 'webhook',
  name: 'Webhook',
  version,
  description: 'Sends events to any HTTP endpoint, with templated URL and body',
  settings: webhookSettingsSchema,
  secrets: ['signing_secret'],
  secretValues: secretValuesOf,
  presets,
  defaultPreset,
  limits: (s) => ({
    maxBatchItems: s.batch?.max_items ?? 1,
    maxBatchBytes: s.batch?.max_bytes,
    maxConcurrency: s.max_concurrency,
  }),
  capabilities: { batching: true, identify: true },
  retry: webhookRetryPolicy,
  transform: (mapped, ctx) => toWebhookRecord(mapped, ctx.settings),
  buildRequest: (batch, ctx) => buildWebhookRequest(batch, ctx.settings, ctx.now),
  parseResponse: (response, batch) => parseWebhookResponse(response, batch),
});

export { webhookSettingsSchema, secretValuesOf, basicAuthHeader, splitCredentials } from './settings.js';
export type { WebhookSettings, WebhookSettingsInput, BasicAuth, ContentType } from './settings.js';
export { parseTemplate, renderText, renderValue, lookup, type Template } from './template.js';
export { headerValue, urlComponent } from './encode.js';
export { signatureHeaders, signingKey } from './signing.js';
export type { WebhookRecord } from './transform.js';

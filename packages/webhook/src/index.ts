import { defineDestination } from '@signal/core';
import { defaultPreset, presets } from './preset.js';
import { buildWebhookRequest } from './request.js';
import { parseWebhookResponse } from './response.js';
import { secretValuesOf, webhookSettingsSchema, type WebhookSettings } from './settings.js';
import { toWebhookRecord, type WebhookRecord } from './transform.js';
import { version } from './version.js';

/**
 * Generic HTTP webhook, modelled on Leanplum's webhook messages: a templated
 * URL, a JSON or form body (templated `data`, or the event itself), basic auth
 * from `user:pass@` in the URL, custom headers, optional JSON batching.
 */
export default defineDestination<WebhookSettings, WebhookRecord>({
  id: 'webhook',
  name: 'Webhook',
  version,
  description: 'Sends events to any HTTP endpoint, with templated URL and body',
  settings: webhookSettingsSchema,
  secrets: [],
  secretValues: secretValuesOf,
  presets,
  defaultPreset,
  limits: (s) => ({
    maxBatchItems: s.batch?.max_items ?? 1,
    maxBatchBytes: s.batch?.max_bytes,
    maxConcurrency: s.max_concurrency,
  }),
  capabilities: { batching: true, identify: true },
  transform: (mapped, ctx) => toWebhookRecord(mapped, ctx.settings),
  buildRequest: (batch, ctx) => buildWebhookRequest(batch, ctx.settings),
  parseResponse: (response, batch) => parseWebhookResponse(response, batch),
});

export { webhookSettingsSchema, secretValuesOf, basicAuthHeader, splitCredentials } from './settings.js';
export type { WebhookSettings, WebhookSettingsInput, BasicAuth, ContentType } from './settings.js';
export { parseTemplate, renderText, renderValue, lookup, type Template } from './template.js';
export type { WebhookRecord } from './transform.js';

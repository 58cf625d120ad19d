import { defineDestination } from '@signal/core';
import pkg from '../package.json' with { type: 'json' };
import { limits } from './limits.js';
import { defaultPreset } from './preset.js';
import { buildImportRequest } from './request.js';
import { classifyImportError, parseImportResponse } from './response.js';
import { settingsSchema, type LaunchDarklySettings } from './settings.js';
import { toCustomEvent, type CustomEvent } from './transform.js';

/**
 * LaunchDarkly metric event import: each mapped event becomes one `custom`
 * event (key = metric event key, contextKeys[context_kind] = user_id or anonymous_id),
 * POSTed as a JSON array to /v2/event-data-import/{project}/{environment}.
 * LaunchDarkly has no identify call, so identify events are never mapped.
 */
export default defineDestination<LaunchDarklySettings, CustomEvent>({
  id: 'launchdarkly',
  name: 'LaunchDarkly',
  version: pkg.version,
  description: 'Custom metric events for LaunchDarkly experiments, via the metric event import API',
  settings: settingsSchema,
  secrets: ['access_token'],
  presets: { default: defaultPreset },
  defaultPreset: 'default',
  limits,
  // LaunchDarkly dedupes by payload id (the engine retries an unanswered batch as the same records,
  // so the id repeats) and refuses a whole batch with 400 for one bad event (the engine bisects it).
  capabilities: { batching: true, identify: false, idempotentBatches: true, bisectRejectedBatches: true },
  transform: toCustomEvent,
  buildRequest: buildImportRequest,
  parseResponse: parseImportResponse,
  classifyError: classifyImportError,
});

export { settingsSchema, importUrl, EVENTS_HOSTS, DEFAULT_EVENTS_HOST } from './settings.js';
export type { LaunchDarklySettings, LaunchDarklySettingsInput } from './settings.js';
export type { CustomEvent } from './transform.js';
export { defaultPreset } from './preset.js';
export { payloadIdOf, USER_AGENT } from './request.js';

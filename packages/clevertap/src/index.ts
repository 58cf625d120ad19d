import { defineDestination } from '@signal/core';
import pkg from '../package.json' with { type: 'json' };
import { defaultPreset } from './preset.js';
import { buildRequest } from './request.js';
import { classifyError, parseResponse } from './response.js';
import { settingsSchema, type CleverTapSettings } from './settings.js';
import { transform, type CleverTapRecord } from './transform.js';

export { settingsSchema, regions, uploadUrl, regionUploadUrl, identitySources, objectIdSources, anonymousEventRules, type CleverTapSettings, type Region } from './settings.js';
export { defaultPreset, eventMap, chargedRename, profileRename, pageInclude } from './preset.js';
export type { CleverTapRecord, EventRecord, ProfileRecord } from './transform.js';
export { PERMANENT_CODES } from './response.js';

/**
 * CleverTap Upload Events API (POST https://{region}.api.clevertap.com/1/upload):
 * track/page → `type: "event"` records, identify → `type: "profile"` records,
 * keyed on `identity` (the email, user_id or a named trait, per the settings)
 * or else `objectId`, up to 1,000 records per request and 15 requests in
 * flight per account.
 */
export default defineDestination<CleverTapSettings, CleverTapRecord>({
  id: 'clevertap',
  name: 'CleverTap',
  version: pkg.version,
  description: 'Server-side events and profiles to CleverTap (Upload Events API)',
  settings: settingsSchema,
  secrets: ['passcode'],
  presets: { default: defaultPreset },
  defaultPreset: 'default',
  // 1,000 records and 15 concurrent requests per account are CleverTap's limits; the byte cap keeps a request near 1 MB.
  limits: { maxBatchItems: 1000, maxBatchBytes: 1_000_000, maxConcurrency: 15 },
  capabilities: { batching: true, identify: true },
  transform,
  buildRequest,
  parseResponse: (response, batch) => parseResponse(response, batch),
  classifyError: (response, batch, ctx) => classifyError(response, batch, ctx.settings),
});

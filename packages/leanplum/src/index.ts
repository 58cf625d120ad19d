import { defineDestination } from '@signal/core';
import pkg from '../package.json' with { type: 'json' };
import { limitsFor } from './limits.js';
import { presets } from './preset.js';
import { buildRequest } from './request.js';
import { classifyError, parseResponse } from './response.js';
import { settingsSchema, type LeanplumSettings } from './settings.js';
import { toLeanplumRecord, type LeanplumRecord } from './transform.js';

export { settingsSchema, DEFAULT_MONEY_PROPERTIES, type LeanplumSettings, type LeanplumSettingsInput } from './settings.js';
export { retailPreset } from './preset.js';
export type { LeanplumRecord, TrackRecord, UserAttributesRecord } from './transform.js';

/**
 * Leanplum, server to server: track calls (`action=track`, form-encoded) and
 * identify → `action=setUserAttributes`; optional `action=multi` batching.
 * Success is read from `response[i].success` on HTTP 200, not the status.
 */
export default defineDestination<LeanplumSettings, LeanplumRecord>({
  id: 'leanplum',
  name: 'Leanplum',
  version: pkg.version,
  description: 'Leanplum track API: events and user attributes, server to server',
  settings: settingsSchema,
  secrets: ['client_key'],
  presets,
  defaultPreset: 'retail',
  limits: limitsFor,
  capabilities: { batching: true, identify: true },
  transform: toLeanplumRecord,
  buildRequest,
  parseResponse,
  classifyError,
});

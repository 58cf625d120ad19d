import type { HttpRequest, Outgoing, RequestContext } from '@signal/core';
import { LEANPLUM_API_URL, LEANPLUM_API_VERSION, type LeanplumSettings } from './settings.js';
import type { LeanplumRecord } from './transform.js';

/** Leanplum's own user fields, in the order they are sent. */
const userFieldNames = ['locale', 'country', 'region', 'city', 'created'] as const;

/** Form fields of one action, in the order the Leanplum doc shows them. */
export function formFields(record: LeanplumRecord): [string, string][] {
  const fields: [string, string][] = [];
  if (record.userId !== undefined) fields.push(['userId', record.userId]);
  if (record.deviceId !== undefined) fields.push(['deviceId', record.deviceId]);
  if (record.action === 'setUserAttributes') {
    fields.push(['userAttributes', JSON.stringify(record.userAttributes)]);
    for (const key of userFieldNames) if (record[key] !== undefined) fields.push([key, String(record[key])]);
    return fields;
  }
  fields.push(['event', record.event]);
  if (record.value !== undefined) fields.push(['value', String(record.value)]);
  if (record.currencyCode !== undefined) fields.push(['currencyCode', record.currencyCode]);
  if (record.info !== undefined) fields.push(['info', record.info]);
  fields.push(['time', String(record.time)]);
  if (record.params !== undefined) fields.push(['params', JSON.stringify(record.params)]);
  return fields;
}

/** One entry of a multi call's `data`: the same arguments as a single call, as JSON values. */
export function multiAction(record: LeanplumRecord): Record<string, unknown> {
  // Only identify carries both ids (to merge the device into the user); track carries one.
  const identity = { ...(record.userId !== undefined ? { userId: record.userId } : {}), ...(record.deviceId !== undefined ? { deviceId: record.deviceId } : {}) };
  if (record.action === 'setUserAttributes') {
    const fields = Object.fromEntries(userFieldNames.flatMap((key) => (record[key] === undefined ? [] : [[key, record[key]]])));
    return { action: record.action, ...identity, userAttributes: record.userAttributes, ...fields };
  }
  const { value, currencyCode, info, params } = record;
  return {
    action: record.action,
    ...identity,
    event: record.event,
    time: record.time,
    ...(value !== undefined ? { value } : {}),
    ...(currencyCode !== undefined ? { currencyCode } : {}),
    ...(info !== undefined ? { info } : {}),
    ...(params !== undefined ? { params } : {}),
  };
}

/**
 * One action per form-encoded request (the doc's track call), or many in one
 * `action=multi` JSON call when batching is on. Credentials travel in the
 * query string (single) or the body (multi); core redacts both in the log.
 */
export function buildRequest(batch: Outgoing<LeanplumRecord>[], ctx: RequestContext<LeanplumSettings>): HttpRequest {
  const { app_id, client_key, batch: batching } = ctx.settings;
  if (batching || batch.length !== 1) {
    const body = {
      appId: app_id,
      clientKey: client_key,
      apiVersion: LEANPLUM_API_VERSION,
      // Request time: Leanplum compares it with each action's time to correct clock skew.
      time: Math.floor(ctx.now() / 1000),
      data: batch.map((o) => multiAction(o.record)),
    };
    return {
      method: 'POST',
      url: `${LEANPLUM_API_URL}?${new URLSearchParams({ action: 'multi' }).toString()}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    };
  }
  const record = batch[0]!.record;
  const query = new URLSearchParams({ action: record.action, appId: app_id, clientKey: client_key, apiVersion: LEANPLUM_API_VERSION });
  return {
    method: 'POST',
    url: `${LEANPLUM_API_URL}?${query.toString()}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(formFields(record)).toString(),
  };
}

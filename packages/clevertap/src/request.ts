import type { HttpRequest, Outgoing, RequestContext } from '@signal/core';
import { uploadUrl, type CleverTapSettings } from './settings.js';
import type { CleverTapRecord } from './transform.js';

/** One Upload Events API call: `{ "d": [records] }` (the batch is already within 1,000 records). */
export function buildRequest(batch: Outgoing<CleverTapRecord>[], ctx: RequestContext<CleverTapSettings>): HttpRequest {
  return {
    method: 'POST',
    url: uploadUrl(ctx.settings),
    headers: {
      'X-CleverTap-Account-Id': ctx.settings.account_id,
      'X-CleverTap-Passcode': ctx.settings.passcode,
      'Content-Type': 'application/json; charset=utf-8',
    },
    body: JSON.stringify({ d: batch.map((o) => o.record) }),
  };
}

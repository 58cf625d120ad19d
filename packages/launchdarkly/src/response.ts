import { authFailure, delivered, rejected, type DeliveryResult, type HttpResponse, type Outgoing, type RequestContext } from '@signal/core';
import { EVENTS_HOSTS, type LaunchDarklySettings } from './settings.js';
import type { CustomEvent } from './transform.js';

/** A successful import is 202 Accepted (any 2xx counts): the whole array was taken. */
export function parseImportResponse(_response: HttpResponse, batch: Outgoing<CustomEvent>[]): DeliveryResult[] {
  return batch.map(() => delivered());
}

/** LaunchDarkly error bodies look like `{"code":"…","message":"…"}`; keep a short vendor message for the delivery log. */
function vendorMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; code?: unknown };
    const text = [parsed.code, parsed.message].filter((p) => typeof p === 'string' && p !== '').join(': ');
    return text === '' ? undefined : text.slice(0, 300);
  } catch {
    const text = body.trim();
    return text === '' ? undefined : text.slice(0, 300);
  }
}

function withVendor(message: string, body: string): string {
  const vendor = vendorMessage(body);
  return vendor === undefined ? message : `${message} (LaunchDarkly said: ${vendor})`;
}

/**
 * The doc's troubleshooting table, as classification. Only 400/401/403/404 need
 * a LaunchDarkly-specific reading; 408/409/429/5xx fall through to core's
 * retry classification (which honours Retry-After).
 */
export function classifyImportError(response: HttpResponse, _batch: Outgoing<CustomEvent>[], ctx: RequestContext<LaunchDarklySettings>): DeliveryResult | undefined {
  const { project_key, environment_key, events_host } = ctx.settings;
  switch (response.status) {
    case 400:
      return rejected(
        'http_400',
        withVendor('HTTP 400: LaunchDarkly refused the payload (malformed, or an event whose kind is not custom); re-check the mappings', response.body),
      );
    case 401:
    case 403:
      return authFailure(
        withVendor(
          `HTTP ${response.status}: the access token is invalid or lacks the importEventData permission; issue a new token with that permission (Account settings > Authorization)`,
          response.body,
        ),
      );
    case 404: {
      // 404 is a configuration error, not a bad event: retrying or rejecting events would not help.
      const otherCells = Object.values(EVENTS_HOSTS).filter((h) => h !== events_host);
      return authFailure(
        `HTTP 404 from ${events_host}: project key "${project_key}" or environment key "${environment_key}" was not found. ` +
          `Check both under Account settings, and check events_host: EU and US-federal accounts must use ${otherCells.join(' or ')} instead`,
      );
    }
    default:
      return undefined;
  }
}

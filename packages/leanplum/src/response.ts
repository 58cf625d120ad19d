import { classifyHttpStatus, type DeliveryResult, type HttpResponse, type Outgoing } from '@signal/core';
import type { LeanplumRecord } from './transform.js';

/** One entry of Leanplum's `response` array. */
interface ActionResponse {
  success?: unknown;
  error?: unknown;
  warning?: unknown;
}

/** Leanplum puts messages in `{ message }` objects; tolerate a bare string too. */
function messageOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (value !== null && typeof value === 'object') {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  return undefined;
}

function actionResponses(body: string): ActionResponse[] | undefined {
  try {
    const parsed = JSON.parse(body) as { response?: unknown };
    return Array.isArray(parsed?.response) ? (parsed.response as ActionResponse[]) : undefined;
  } catch {
    return undefined;
  }
}

/** A bad key reported in the body is a credentials problem, not a bad event ("Invalid access key", "Incorrect appId or clientKey"). */
const credentialsMessage = /app ?id|client ?key|api ?key|access ?key|credential/i;

/**
 * Messages that describe Leanplum's state, not the action: the same action can
 * succeed later. Chiefly the device lock ("Request failed due to concurrent
 * requests to the same profile ID"), which Leanplum also reports per action.
 */
const transientMessage = /concurrent requests|device lock|rate limit|too many requests|try again|temporar|timed? ?out|internal (server )?error|unavailable|overloaded/i;

/** A failed or skipped action, by its message: credentials → auth, Leanplum's own state → retry, anything else → rejected. */
function failure(message: string, code: string): DeliveryResult {
  if (credentialsMessage.test(message)) return { status: 'auth', message: `Leanplum: ${message}` };
  if (transientMessage.test(message)) return { status: 'retry', reason: `Leanplum: ${message}` };
  return { status: 'rejected', code, message: `Leanplum: ${message}` };
}

/**
 * Leanplum's `success` only says the request was received. `success: true`
 * with an `error` means the action was skipped (not recorded), so it is not a
 * delivery; `success: false` is a failed action. Either way the message decides
 * (see `failure`), and is shown in the delivery log. A `warning` on success
 * (e.g. "User not found; request skipped") is delivered-with-warning.
 */
export function classifyAction(item: ActionResponse): DeliveryResult {
  const error = messageOf(item.error);
  if (item.success === true) {
    if (error !== undefined) return failure(`action skipped: ${error}`, 'leanplum_skipped');
    const warning = messageOf(item.warning);
    return warning === undefined ? { status: 'delivered' } : { status: 'delivered', warning };
  }
  return failure(error ?? 'Leanplum returned success: false without an error message', 'leanplum_error');
}

/** HTTP 2xx → one result per action, read from `response[i]`. */
export function parseResponse(response: HttpResponse, batch: Outgoing<LeanplumRecord>[]): DeliveryResult[] {
  const items = actionResponses(response.body);
  if (items === undefined) {
    // Not Leanplum's answer (e.g. a proxy page): nothing was confirmed stored.
    return batch.map(() => ({ status: 'retry', reason: `HTTP ${response.status} without a Leanplum response body` }));
  }
  // A multi call refused as a whole answers with a single failure.
  const whole = items.length === 1 && batch.length > 1 && items[0]!.success !== true ? classifyAction(items[0]!) : undefined;
  return batch.map((_, i): DeliveryResult => {
    if (whole !== undefined) return whole;
    const item = items[i];
    if (item === undefined || item === null || typeof item !== 'object') return { status: 'retry', reason: `Leanplum returned no result for action ${i + 1} of ${batch.length}` };
    return classifyAction(item);
  });
}

/**
 * Non-2xx: core's classification (401/403 auth, 429/5xx retry, other 4xx
 * rejected), with Leanplum's error text when the body has one.
 */
export function classifyError(response: HttpResponse, batch: Outgoing<LeanplumRecord>[]): DeliveryResult | undefined {
  const base = classifyHttpStatus(response);
  if (base === undefined) return undefined;
  const detail = messageOf(actionResponses(response.body)?.[0]?.error);
  switch (base.status) {
    case 'retry':
      // 429 is Leanplum's device lock: two calls for the same user at once.
      return response.status === 429 ? { ...base, reason: `HTTP 429: Leanplum device lock (concurrent requests for one user)${detail ? `: ${detail}` : ''}` } : base;
    case 'auth': {
      const hint = batch.length > 1 ? ' (or, for action=multi, more than 50 users or 500 actions in one call)' : '';
      return { status: 'auth', message: `HTTP ${response.status}: Leanplum refused the appId/clientKey${hint}${detail ? `: ${detail}` : ''}` };
    }
    case 'rejected':
      if (detail !== undefined && credentialsMessage.test(detail)) return { status: 'auth', message: `HTTP ${response.status}: Leanplum refused the appId/clientKey: ${detail}` };
      return detail ? { ...base, message: `HTTP ${response.status}: ${detail}` } : base;
    default:
      return base;
  }
}

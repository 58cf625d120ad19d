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

/** A bad key reported in the body is a credentials problem, not a bad event. */
const credentialsMessage = /app ?id|client ?key|api ?key|credential/i;

/**
 * Leanplum reports logical failures with HTTP 200 and `success: false`; they are
 * permanent for that event (bad params, missing user), so `rejected`, with
 * Leanplum's `error.message` shown. A `warning` on success is delivered-with-warning.
 */
export function classifyAction(item: ActionResponse): DeliveryResult {
  if (item.success === true) {
    const warning = messageOf(item.warning);
    return warning === undefined ? { status: 'delivered' } : { status: 'delivered', warning };
  }
  const message = messageOf(item.error) ?? 'Leanplum returned success: false without an error message';
  if (credentialsMessage.test(message)) return { status: 'auth', message: `Leanplum: ${message}` };
  return { status: 'rejected', code: 'leanplum_error', message: `Leanplum: ${message}` };
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
      return detail ? { ...base, message: `HTTP ${response.status}: ${detail}` } : base;
    default:
      return base;
  }
}

import { classifyHttpStatus, delivered, rejected, retry, type DeliveryResult, type HttpResponse, type Outgoing } from '@signal/core';
import type { CleverTapSettings } from './settings.js';
import type { CleverTapRecord } from './transform.js';

/**
 * CleverTap answers HTTP 200 even when records are refused: `status` is
 * `success`, `partial` or `fail`, and `unprocessed[]` lists the refused records
 * as `{ status: "fail", code, error, record }`. Only what CleverTap confirms is
 * reported delivered; anything it cannot be matched to is retried, never assumed stored.
 */

/** Codes that fail the same way every time: 509 event name missing, 512 invalid structure, 513 restricted system event, 522 properties limit, 523 missing identity, 525 bad timestamp. */
export const PERMANENT_CODES: ReadonlySet<number> = new Set([509, 512, 513, 522, 523, 525]);

interface UnprocessedItem {
  code?: unknown;
  error?: unknown;
  record?: unknown;
  index?: unknown;
}

interface UploadResponse {
  status?: unknown;
  error?: unknown;
  code?: unknown;
  unprocessed?: unknown;
}

function parseJson(body: string): UploadResponse | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as UploadResponse) : undefined;
  } catch {
    return undefined;
  }
}

/** JSON with sorted keys, so a record echoed back by CleverTap compares equal whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function resultForCode(code: unknown, error: unknown): DeliveryResult {
  const n = Number(code);
  const message = typeof error === 'string' && error !== '' ? error : `CleverTap error ${String(code)}`;
  if (Number.isInteger(n) && PERMANENT_CODES.has(n)) return rejected(`clevertap_${n}`, message);
  return retry(`CleverTap ${String(code)}: ${message}`);
}

/** All remaining records failed for reasons that cannot be pinned to one record each. */
function sharedFailure(items: UnprocessedItem[], why: string): DeliveryResult {
  const results = items.map((item) => resultForCode(item.code, item.error));
  const errors = [...new Set(items.map((item) => String(item.error ?? item.code)))].join('; ');
  if (results.every((r) => r.status === 'rejected')) {
    const codes = new Set(results.map((r) => (r.status === 'rejected' ? r.code : '')));
    return rejected(codes.size === 1 ? [...codes][0]! : 'clevertap_unprocessed', `${errors} (${why})`);
  }
  return retry(`${errors} (${why})`);
}

/** Maps `unprocessed[]` to the request's records: by `index` when given, else by deep-equal `record`. */
export function resultsFromUnprocessed(status: string, unprocessed: UnprocessedItem[], batch: Outgoing<CleverTapRecord>[]): DeliveryResult[] {
  const keys = batch.map((o) => canonical(o.record));
  const results: (DeliveryResult | undefined)[] = batch.map(() => undefined);
  const unmatched: UnprocessedItem[] = [];
  for (const item of unprocessed) {
    const wanted = item.record === undefined ? undefined : canonical(item.record);
    const index = item.index;
    let at = -1;
    if (typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < batch.length && results[index] === undefined && (wanted === undefined || keys[index] === wanted)) {
      at = index;
    } else if (wanted !== undefined) {
      // Identical records are interchangeable: the first one not yet accounted for takes the failure.
      at = keys.findIndex((k, i) => k === wanted && results[i] === undefined);
    }
    if (at === -1) unmatched.push(item);
    else results[at] = resultForCode(item.code, item.error);
  }

  const rest = results.flatMap((r, i) => (r === undefined ? [i] : []));
  let restResult: DeliveryResult;
  if (unmatched.length === 0) {
    restResult = status === 'fail' ? retry('CleverTap answered status "fail" without listing this record as unprocessed; not claiming delivery') : delivered();
  } else if (status === 'fail' || unmatched.length >= rest.length) {
    restResult = sharedFailure(unmatched, `CleverTap's unprocessed records could not be matched to the records sent; every unmatched record is counted as failed`);
  } else {
    restResult = retry(
      `CleverTap reported ${unmatched.length} unprocessed record(s) that match none of the ${rest.length} unconfirmed record(s) sent; retrying those rather than claiming delivery (some may be stored twice)`,
    );
  }
  return results.map((r) => r ?? restResult);
}

export function parseResponse(response: HttpResponse, batch: Outgoing<CleverTapRecord>[]): DeliveryResult[] {
  const body = parseJson(response.body);
  if (body === undefined) {
    return batch.map(() => retry(`CleverTap answered HTTP ${response.status} with a body that is not a JSON object; not claiming delivery`));
  }
  const status = body.status;
  const unprocessed = Array.isArray(body.unprocessed) ? (body.unprocessed as UnprocessedItem[]) : [];
  if (status === 'success' && unprocessed.length === 0) return batch.map(() => delivered());
  if (status !== 'success' && status !== 'partial' && status !== 'fail') {
    return batch.map(() => retry(`CleverTap answered with status ${JSON.stringify(status)}; only "success" confirms delivery`));
  }
  if (unprocessed.length === 0) {
    // A failure with no per-record detail concerns the whole request.
    const result = body.code !== undefined ? resultForCode(body.code, body.error) : retry(`CleverTap answered status "${status}" without listing unprocessed records${typeof body.error === 'string' ? `: ${body.error}` : ''}`);
    return batch.map(() => result);
  }
  return resultsFromUnprocessed(status, unprocessed, batch);
}

/** Non-2xx: 401/403 hint at the region; 429 is the per-account concurrency limit; a 4xx with `unprocessed[]` is read per record. */
export function classifyError(response: HttpResponse, batch: Outgoing<CleverTapRecord>[], settings: CleverTapSettings): DeliveryResult | DeliveryResult[] | undefined {
  const body = parseJson(response.body);
  const vendorError = typeof body?.error === 'string' ? ` (CleverTap: ${body.error})` : '';
  if (response.status === 401 || response.status === 403) {
    const where = settings.endpoint !== undefined ? `the endpoint ${settings.endpoint}` : `region ${settings.region ?? ''}`;
    return {
      status: 'auth',
      message: `HTTP ${response.status}${vendorError}: check account_id and passcode, and that ${where} is the account's data centre — a wrong region looks like bad credentials`,
    };
  }
  if (response.status === 429) {
    const base = classifyHttpStatus(response);
    const retryAfterMs = base?.status === 'retry' ? base.retryAfterMs : undefined;
    return retry(`HTTP 429${vendorError}: over CleverTap's limit of 15 concurrent requests per account`, retryAfterMs);
  }
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 409 && body !== undefined && Array.isArray(body.unprocessed) && body.unprocessed.length > 0) {
    return resultsFromUnprocessed('fail', body.unprocessed as UnprocessedItem[], batch);
  }
  return undefined;
}

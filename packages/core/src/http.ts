import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { SignalError } from './errors.js';
import { memoize } from './memo.js';
import { parseRetryAfter } from './retry-policy.js';
import type { DeliveryResult } from './results.js';

/** A request as a plugin builds it: plain data, so it can be logged (redacted) and replayed. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The request never got an HTTP answer: connection refused or reset, DNS, timeout. Always retryable. */
export class NetworkError extends SignalError {
  readonly kind = 'network';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface HttpClientOptions {
  /**
   * Send requests for a vendor host elsewhere: `{ "api.leanplum.com": "http://127.0.0.1:4010" }`.
   * `"*"` matches every host. Used by the sandbox, tests and egress proxies.
   */
  hostOverrides?: Record<string, string>;
  /** Whole-request deadline (headers and body). Default 30 s. */
  timeoutMs?: number;
  /** Largest response body kept, in bytes (the rest is cut). Default 64 KiB. */
  maxResponseBytes?: number;
  dispatcher?: Dispatcher;
}

export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResponse>;
  /** The URL a request will actually go to, after host overrides. */
  resolveUrl(url: string): string;
  close(): Promise<void>;
}

export function rewriteUrl(url: string, overrides: Record<string, string> | undefined): string {
  if (overrides === undefined) return url;
  const parsed = new URL(url);
  const target = overrides[parsed.host] ?? overrides[parsed.hostname] ?? overrides['*'];
  if (target === undefined) return url;
  const base = new URL(target);
  parsed.protocol = base.protocol;
  parsed.host = base.host;
  return parsed.toString();
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
  const ownAgent = options.dispatcher === undefined;
  const dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 64, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  // Parsed twice per request otherwise (sending, and the exchange's URL); a vendor's endpoints repeat.
  const resolveUrl = options.hostOverrides === undefined ? (url: string) => url : memoize((url) => rewriteUrl(url, options.hostOverrides), 1_024);
  return {
    resolveUrl,
    async send(req) {
      const url = resolveUrl(req.url);
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const res = await undiciRequest(url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          dispatcher,
          signal,
        });
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          if (size < maxResponseBytes) chunks.push(chunk);
          size += chunk.length;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
        }
        return { status: res.statusCode, headers, body: Buffer.concat(chunks).subarray(0, maxResponseBytes).toString('utf8') };
      } catch (error) {
        const err = error as { name?: string; code?: string; message?: string };
        if (signal.aborted || err.name === 'TimeoutError' || err.name === 'AbortError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') {
          throw new NetworkError(`no response within ${timeoutMs} ms`, 'timeout');
        }
        // Only the host and the error code: the URL may carry credentials (Leanplum's clientKey).
        const host = new URL(url).host;
        throw new NetworkError(`request to ${host} failed: ${err.code ?? err.name ?? 'network error'}`, err.code ?? 'network');
      }
    },
    async close() {
      if (ownAgent) await dispatcher.close();
    },
  };
}

/**
 * The one HTTP status classification for every vendor, before any plugin-specific
 * reading: 2xx → undefined (the plugin reads the body); 408/409/429/5xx → retry
 * (Retry-After honoured); 401/403 → auth; anything else → rejected.
 */
export function classifyHttpStatus(response: Pick<HttpResponse, 'status' | 'headers'>, now = Date.now()): DeliveryResult | undefined {
  const { status } = response;
  if (status >= 200 && status < 300) return undefined;
  if (status === 408 || status === 409 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], now);
    const reason = `HTTP ${status}`;
    return retryAfterMs === undefined ? { status: 'retry', reason } : { status: 'retry', reason, retryAfterMs };
  }
  if (status === 401 || status === 403) return { status: 'auth', message: `HTTP ${status}: the vendor refused the credentials` };
  return { status: 'rejected', code: `http_${status}`, message: `HTTP ${status}` };
}

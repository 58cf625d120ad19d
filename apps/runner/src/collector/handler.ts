import type { IncomingMessage, ServerResponse } from 'node:http';
import { findInputViolation, parseEvent, silentLogger, type EventType, type FieldIssue, type Logger, type SignalEvent } from '@signal/core';
import { requestPath } from '../api/request-path.js';
import type { RunnerMetrics } from '../metrics/registry.js';
import type { AppendItem, AppendResult, Spool } from '../spool/types.js';
import { bodyWriteKey, headerWriteKey } from './auth.js';
import { BacklogGate } from './backlog.js';
import { readIngestBody } from './body.js';
import { InflightBodies } from './inflight.js';
import { collectorLimits, defaultProtection, retryAfterSeconds, type CollectorProtection } from './limits.js';
import { issuesText, Refusal } from './refusal.js';
import type { IngestFeed } from './ingest-feed.js';
import { TurnBudget } from './turn-budget.js';

export interface CollectorOptions {
  spool: Spool;
  /** write key → source id */
  sources: Map<string, string>;
  /** source id → integration ids (from the pipelines) */
  routes: Map<string, string[]>;
  metrics: RunnerMetrics;
  /** Tells the delivery engine new jobs are waiting. */
  wake: (integration?: string) => void;
  /** Every refused ingest request, and every stored one, is told here (log line, debugger live view). */
  feed?: IngestFeed;
  /** Timeouts, the in-flight body cap and the backlog bound (defaults: limits.ts). */
  protection?: Partial<CollectorProtection>;
  /** Unexpected errors (bugs) are logged here. */
  logger?: Logger;
  now?: () => Date;
}

const singleTypes: Record<string, EventType> = { track: 'track', page: 'page', identify: 'identify', group: 'group' };

/** Segment's browser SDK (analytics-next) posts to short paths: /v1/t, /v1/p, /v1/i, /v1/g, /v1/b. */
const endpoints = new Map<string, string>(
  (
    [
      ['track', ['/track', '/t']],
      ['page', ['/page', '/p']],
      ['identify', ['/identify', '/i']],
      ['group', ['/group', '/g']],
      ['batch', ['/batch', '/b']],
    ] as const
  ).flatMap(([kind, paths]) => paths.map((path) => [`/v1${path}`, kind] as [string, string])),
);

const endpointList = '/v1/track, /v1/page, /v1/identify, /v1/group or /v1/batch';

/** Events of a batch validated per slice of the turn budget (~0.2 ms of work each). */
const batchSlice = 20;

/** Longest reason and path a rejection carries (they are logged). */
const maxReason = 1_000;
const maxPath = 200;

function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  const path = (q === -1 ? url : url.slice(0, q)).replace(/[^\x21-\x7e]/g, '?');
  return path.length > maxPath ? `${path.slice(0, maxPath)}…` : path;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Validates the whole request before storing anything, so a rejected request is never
 * half-stored. One walk over the body checks depth, non-finite numbers and prototype keys
 * (core's findInputViolation) before any event reaches the schema.
 */
async function parseRequest(kind: string, body: unknown, bodyBytes: number | null, receivedAt: Date, budget: TurnBudget): Promise<SignalEvent[]> {
  // Each event's JSON as sent is part of the body, so a body within the per-event limit needs no
  // per-event measuring (a JSON.stringify of each event: ~5% of ingest CPU). Re-serialising can only
  // lengthen numbers in exponent form (1e20 -> 21 digits); the limit applies to what the client sent.
  const measure = bodyBytes === null || bodyBytes > collectorLimits.maxEventBytes;
  if (!isRecord(body)) throw new Refusal(400, 'the body must be a JSON object');
  if (kind === 'batch') {
    const batch = body['batch'];
    if (!Array.isArray(batch)) throw new Refusal(400, 'batch: must be a list of events', { issues: [{ path: 'batch', message: 'must be a list of events' }] });
    if (batch.length > collectorLimits.maxBatchEvents) {
      throw new Refusal(413, `batch: ${batch.length} events is more than ${collectorLimits.maxBatchEvents} per request; split it`);
    }
    // The wrapper does not count: each event in `batch` is level 1, as it is when sent alone.
    const violation = findInputViolation(body, { depth: -1 });
    if (violation !== undefined) throw new Refusal(400, issuesText([violation]), { issues: [violation] });
    const events: SignalEvent[] = [];
    const issues: FieldIssue[] = [];
    const sentAt = body['sentAt'];
    const parseSlice = (from: number): void => {
      for (let i = from; i < Math.min(from + batchSlice, batch.length); i++) {
        const item: unknown = batch[i];
        if (measure && byteSize(item) > collectorLimits.maxEventBytes) {
          throw new Refusal(413, `batch.${i}: event is larger than ${collectorLimits.maxEventBytes / 1024} KB`);
        }
        const parsed = parseEvent(item, { receivedAt, sentAt });
        if (parsed.ok) events.push(parsed.event);
        else issues.push(...parsed.issues.map((issue) => ({ path: `batch.${i}${issue.path === '(root)' ? '' : `.${issue.path}`}`, message: issue.message })));
      }
    };
    for (let from = 0; from < batch.length; from += batchSlice) await budget.run(() => parseSlice(from));
    if (issues.length > 0) throw new Refusal(400, issuesText(issues), { issues });
    return events;
  }
  const violation = findInputViolation(body);
  if (violation !== undefined) throw new Refusal(400, issuesText([violation]), { issues: [violation] });
  if (measure && byteSize(body) > collectorLimits.maxEventBytes) throw new Refusal(413, `event is larger than ${collectorLimits.maxEventBytes / 1024} KB`);
  const parsed = parseEvent(body, { type: singleTypes[kind]!, receivedAt });
  if (!parsed.ok) throw new Refusal(400, issuesText(parsed.issues), { issues: parsed.issues });
  return [parsed.event];
}

/** The ingest API's surface: every path under /v1 is the collector's (the rest of the server is Fastify's). */
export const isIngestPath = (url: string): boolean => url.startsWith('/v1') && (url.length === 3 || url[3] === '/' || url[3] === '?');

export interface Collector {
  /** Answers one request whose path is under /v1 (isIngestPath). */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** From now on every request is refused with a 503 (the runner is stopping); those in flight finish. */
  close(): void;
}

/**
 * Browsers post from the site's own origin; the write key is the credential, not cookies. Only a
 * preflight's answer needs the methods, headers and max-age; every other answer carries the origin.
 */
const preflightHeaders = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization',
  'access-control-max-age': '86400',
} as const;

const jsonType = 'application/json; charset=utf-8';
const accepted = Buffer.from(JSON.stringify({ success: true }));
const acceptedHeaders = { 'access-control-allow-origin': '*', 'content-type': jsonType, 'content-length': String(accepted.length) } as const;

/**
 * The Segment-compatible ingest API under /v1, as a plain node:http handler the server calls
 * before Fastify routes anything (api/server.ts): ingest is the hot path, and Fastify's routing,
 * hooks and reply chain cost as much CPU per /v1/track request as node:http itself. What it
 * reads: its own body reader (JSON or text/plain, gzip/deflate/br, limits on the decoded body,
 * body deadline, in-flight cap). Every refusal goes through `refuse`: counted, told to the
 * IngestFeed, answered `{ success: false, error, issues? }`. Answers 200 only once the spool
 * has committed.
 */
export function createCollector(options: CollectorOptions): Collector {
  const { spool, sources, routes, metrics, wake, feed } = options;
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const protection = { ...defaultProtection, ...options.protection };
  const inflight = new InflightBodies(protection.maxInflightBodyBytes);
  const backlog = new BacklogGate(spool, protection.maxBacklog);
  backlog.full();
  const budget = new TurnBudget();
  let closing = false;

  /** Writes the answer and observes its latency (signal_http_request_duration_seconds, route as registered or `unmatched`). */
  const answer = (request: IncomingMessage, response: ServerResponse, startedAt: number, route: string, status: number, headers: Readonly<Record<string, string>>, body?: Buffer | string): void => {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, headers);
    response.end(body);
    metrics.requestDuration.observe({ method: request.method ?? '', route, status_code: String(status) }, (performance.now() - startedAt) / 1000);
  };

  const refuse = (request: IncomingMessage, response: ServerResponse, startedAt: number, route: string, refusal: Refusal, source?: string): void => {
    metrics.collectorRejected.inc({ status: String(refusal.status) });
    if (refusal.options.unavailable !== undefined) metrics.collectorUnavailable.inc({ reason: refusal.options.unavailable });
    if (refusal.options.clientGone !== true) {
      const userAgent = request.headers['user-agent'];
      feed?.emit({
        at: Date.now(),
        status: refusal.status,
        reason: refusal.error.length > maxReason ? `${refusal.error.slice(0, maxReason)}…` : refusal.error,
        path: pathOf(request.url ?? ''),
        ip: request.socket.remoteAddress ?? '',
        ...(source === undefined ? {} : { source }),
        ...(typeof userAgent === 'string' ? { userAgent: userAgent.slice(0, maxPath) } : {}),
      });
    }
    const body = JSON.stringify({ success: false, error: refusal.error, ...(refusal.issues.length > 0 ? { issues: refusal.issues } : {}) });
    const headers: Record<string, string> = { 'access-control-allow-origin': '*', 'content-type': jsonType, 'content-length': String(Buffer.byteLength(body)) };
    if (refusal.options.retryAfterSeconds !== undefined) headers['retry-after'] = String(refusal.options.retryAfterSeconds);
    if (refusal.options.close === true) headers['connection'] = 'close';
    answer(request, response, startedAt, route, refusal.status, headers, body);
  };

  const hasBody = (request: IncomingMessage) => request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] ?? '0') !== '0';

  /** A POST to one of the endpoints: write key, body, validation, then the spool. */
  const ingest = async (request: IncomingMessage, response: ServerResponse, startedAt: number, route: string, kind: string, headerSource: string | undefined): Promise<void> => {
    let body: unknown;
    let bodyBytes: number | null = null;
    // A POST with neither a body nor a content type has no body to read (as Fastify treated it).
    if (request.headers['content-type'] !== undefined || hasBody(request)) {
      const read = await readIngestBody(request.headers, request, { maxBytes: collectorLimits.maxBatchBytes, timeoutMs: protection.bodyTimeoutMs, inflight });
      body = read.value;
      bodyBytes = read.bytes;
    }
    const bodyKey = headerSource === undefined ? bodyWriteKey(body) : undefined;
    const source = headerSource ?? (bodyKey === undefined ? undefined : sources.get(bodyKey));
    if (source === undefined) {
      throw new Refusal(401, bodyKey === undefined ? 'missing write key: send it as the HTTP Basic user name or as writeKey in the body' : 'unknown write key');
    }
    let events: SignalEvent[];
    try {
      events = await parseRequest(kind, body, bodyBytes, now(), budget);
    } catch (error) {
      if (error instanceof Refusal) return refuse(request, response, startedAt, route, error, source);
      throw error;
    }
    const integrations = routes.get(source) ?? [];
    const ip = request.socket.remoteAddress ?? '';
    for (const event of events) {
      if (event.context.ip === undefined) event.context.ip = ip;
    }
    const items: AppendItem[] = events.map((event) => ({ event, integrations, source }));
    let result: AppendResult;
    try {
      result = await spool.append(items);
    } catch (error) {
      // Not stored: a 5xx the SDKs retry. SpoolError is the expected kind; anything else is a bug worth a log line.
      if ((error as { kind?: string }).kind !== 'spool') logger.error({ error: (error as Error).message, stack: (error as Error).stack }, 'collector: spool append failed unexpectedly');
      const reason = String((error as Error).message ?? error).slice(0, 200);
      return refuse(
        request,
        response,
        startedAt,
        route,
        new Refusal(503, `storage cannot take events right now (${reason}); nothing was stored, retry later`, { retryAfterSeconds: retryAfterSeconds.storage, unavailable: 'storage' }),
        source,
      );
    }
    let stored = 0;
    for (const outcome of result.outcomes) if (outcome === 'stored') stored++;
    if (stored > 0) {
      backlog.appended(stored * integrations.length);
      for (const id of integrations) {
        metrics.accepted.inc({ integration: id }, stored);
        wake(id);
      }
    }
    answer(request, response, startedAt, route, 200, acceptedHeaders, accepted);
    feed?.emitStored();
  };

  return {
    close() {
      closing = true;
    },
    handle(request, response) {
      const startedAt = performance.now();
      const url = request.url ?? '/';
      // Percent-encoded as some proxies send it (`/v1/tr%61ck`), as Fastify's router matched it before.
      const endpoint = requestPath(url);
      const kind = endpoints.get(endpoint);
      const method = request.method;
      // The route label is one of a fixed few (as registered), never the path as sent.
      const route = method === 'POST' && kind !== undefined ? endpoint : method === 'OPTIONS' && endpoint.startsWith('/v1/') ? '/v1/*' : 'unmatched';
      const refused = (refusal: Refusal, source?: string) => refuse(request, response, startedAt, route, refusal, source);
      if (closing) return refused(new Refusal(503, 'the runner is shutting down; retry', { retryAfterSeconds: retryAfterSeconds.overload, close: true }));
      if (route === '/v1/*') return answer(request, response, startedAt, route, 204, preflightHeaders);
      if (method !== 'POST') {
        return refused(new Refusal(404, `no ingest endpoint at ${method} ${pathOf(url)}; POST to ${endpointList}`, { close: hasBody(request) }));
      }
      // Checked before the body is read: a wrong key costs no body bytes (and the connection closes).
      const key = headerWriteKey(request.headers);
      const headerSource = key === undefined ? undefined : sources.get(key);
      if (key !== undefined && headerSource === undefined) return refused(new Refusal(401, 'unknown write key (sent in the Authorization header)', { close: hasBody(request) }));
      if (backlog.full()) {
        return refused(
          new Refusal(503, `the backlog of undelivered jobs is over storage.max_backlog (${protection.maxBacklog}); nothing was stored, retry later`, {
            retryAfterSeconds: retryAfterSeconds.backlog,
            unavailable: 'backlog',
            close: hasBody(request),
          }),
          headerSource,
        );
      }
      if (kind === undefined) return refused(new Refusal(404, `no ingest endpoint at POST ${pathOf(url)}; POST to ${endpointList}`, { close: hasBody(request) }), headerSource);
      ingest(request, response, startedAt, route, kind, headerSource).catch((error: unknown) => {
        if (error instanceof Refusal) return refused(error, headerSource);
        logger.error({ error: (error as Error).message, stack: (error as Error).stack, path: pathOf(url) }, 'collector: unexpected error');
        refused(new Refusal(500, 'internal error; the events were not stored, send them again'), headerSource);
      });
    },
  };
}

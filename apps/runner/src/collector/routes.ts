import type { IncomingMessage } from 'node:http';
import { findInputViolation, parseEvent, silentLogger, type EventType, type FieldIssue, type Logger, type SignalEvent } from '@signal/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RunnerMetrics } from '../metrics/registry.js';
import type { AppendItem, AppendResult, Spool } from '../spool/types.js';
import { bodyWriteKey, headerWriteKey } from './auth.js';
import { BacklogGate } from './backlog.js';
import { readIngestBody, unsupportedContentType } from './body.js';
import { InflightBodies } from './inflight.js';
import { collectorLimits, defaultProtection, retryAfterSeconds, type CollectorProtection } from './limits.js';
import { issuesText, Refusal } from './refusal.js';
import type { RejectionFeed } from './rejections.js';
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
  /** Every refused ingest request is told here (log line, debugger live view). */
  rejections?: RejectionFeed;
  /** Timeouts, the in-flight body cap and the backlog bound (defaults: limits.ts). */
  protection?: Partial<CollectorProtection>;
  /** Unexpected errors (bugs) are logged here. */
  logger?: Logger;
  now?: () => Date;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Source of the write key sent in the Authorization header (checked before the body is read). */
    ingestSource: string | null;
    /** Decoded body size, when the collector's body reader read it. */
    ingestBodyBytes: number | null;
  }
}

const singleTypes: Record<string, EventType> = { track: 'track', page: 'page', identify: 'identify', group: 'group' };

/** Segment's browser SDK (analytics-next) posts to short paths: /v1/t, /v1/p, /v1/i, /v1/g, /v1/b. */
const routePaths: [kind: string, paths: string[]][] = [
  ['track', ['/track', '/t']],
  ['page', ['/page', '/p']],
  ['identify', ['/identify', '/i']],
  ['group', ['/group', '/g']],
  ['batch', ['/batch', '/b']],
];

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

/** Fastify's own errors (before our parser or around it) as refusals the client can act on. */
function refusalOf(error: { statusCode?: number; code?: string; message: string }, request: FastifyRequest): Refusal | undefined {
  if (error instanceof Refusal) return error;
  const status = error.statusCode ?? 500;
  if (status === 415 || error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return unsupportedContentType(request.headers['content-type']);
  if (status === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new Refusal(413, `request body is larger than ${collectorLimits.maxBatchBytes / 1024} KB`, { close: true });
  }
  if (status >= 400 && status < 500) return new Refusal(status, error.message.replace(/"[^"]*"/g, '"…"'));
  return undefined;
}

/**
 * The Segment-compatible ingest API under /v1, in its own Fastify scope: its own body reader
 * (JSON or text/plain, gzip/deflate/br, limits on the decoded body, body deadline, in-flight
 * cap), error and not-found handlers, so every refusal — ours or Fastify's — goes through
 * `refuse`: counted, told to the RejectionFeed, answered `{ success: false, error, issues? }`.
 * Answers 200 only once the spool has committed.
 */
export function registerCollector(app: FastifyInstance, options: CollectorOptions): void {
  const { spool, sources, routes, metrics, wake } = options;
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const protection = { ...defaultProtection, ...options.protection };
  const inflight = new InflightBodies(protection.maxInflightBodyBytes);
  const backlog = new BacklogGate(spool, protection.maxBacklog);
  backlog.full();
  const budget = new TurnBudget();

  const refuse = (request: FastifyRequest, reply: FastifyReply, refusal: Refusal, source: string | null = request.ingestSource) => {
    metrics.collectorRejected.inc({ status: String(refusal.status) });
    if (refusal.options.unavailable !== undefined) metrics.collectorUnavailable.inc({ reason: refusal.options.unavailable });
    if (refusal.options.clientGone !== true) {
      const userAgent = request.headers['user-agent'];
      options.rejections?.emit({
        at: Date.now(),
        status: refusal.status,
        reason: refusal.error.length > maxReason ? `${refusal.error.slice(0, maxReason)}…` : refusal.error,
        path: pathOf(request.url),
        ip: request.ip,
        ...(source === null ? {} : { source }),
        ...(typeof userAgent === 'string' ? { userAgent: userAgent.slice(0, maxPath) } : {}),
      });
    }
    if (refusal.options.retryAfterSeconds !== undefined) reply.header('retry-after', String(refusal.options.retryAfterSeconds));
    if (refusal.options.close === true) reply.header('connection', 'close');
    return reply.code(refusal.status).send({ success: false, error: refusal.error, ...(refusal.issues.length > 0 ? { issues: refusal.issues } : {}) });
  };

  const hasBody = (request: FastifyRequest) => request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] ?? '0') !== '0';

  app.register(
    async (scope) => {
      scope.decorateRequest('ingestSource', null);
      scope.decorateRequest('ingestBodyBytes', null);

      // Browsers post from the site's own origin; the write key is the credential, not cookies.
      scope.addHook('onRequest', (request, reply, done) => {
        reply.header('access-control-allow-origin', '*');
        reply.header('access-control-allow-methods', 'POST, OPTIONS');
        reply.header('access-control-allow-headers', 'content-type, authorization');
        reply.header('access-control-max-age', '86400');
        if (request.method !== 'POST') return done();
        // Checked before the body is read: a wrong key costs no body bytes (and the connection closes).
        const key = headerWriteKey(request.headers);
        if (key !== undefined) {
          const source = sources.get(key);
          if (source === undefined) return void refuse(request, reply, new Refusal(401, 'unknown write key (sent in the Authorization header)', { close: hasBody(request) }));
          request.ingestSource = source;
        }
        if (backlog.full()) {
          return void refuse(
            request,
            reply,
            new Refusal(503, `the backlog of undelivered jobs is over storage.max_backlog (${protection.maxBacklog}); nothing was stored, retry later`, {
              retryAfterSeconds: retryAfterSeconds.backlog,
              unavailable: 'backlog',
              close: hasBody(request),
            }),
          );
        }
        done();
      });

      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', async (request: FastifyRequest, payload: IncomingMessage) => {
        if (request.is404) return undefined;
        const body = await readIngestBody(request.headers, payload, { maxBytes: collectorLimits.maxBatchBytes, timeoutMs: protection.bodyTimeoutMs, inflight });
        request.ingestBodyBytes = body.bytes;
        return body.value;
      });

      scope.setErrorHandler((error: { statusCode?: number; code?: string; message: string; stack?: string }, request, reply) => {
        const refusal = refusalOf(error, request);
        if (refusal !== undefined) return refuse(request, reply, refusal);
        logger.error({ error: error.message, stack: error.stack, path: pathOf(request.url) }, 'collector: unexpected error');
        return refuse(request, reply, new Refusal(500, 'internal error; the events were not stored, send them again'));
      });

      scope.setNotFoundHandler((request, reply) =>
        refuse(request, reply, new Refusal(404, `no ingest endpoint at ${request.method} ${pathOf(request.url)}; POST to ${endpointList}`, { close: hasBody(request) })),
      );

      scope.options('/*', async (_request, reply) => reply.code(204).send());

      for (const [kind, paths] of routePaths) {
        const handler = async (request: FastifyRequest, reply: FastifyReply) => {
          const bodyKey = request.ingestSource === null ? bodyWriteKey(request.body) : undefined;
          const source = request.ingestSource ?? (bodyKey === undefined ? undefined : sources.get(bodyKey));
          if (source === undefined) {
            return refuse(request, reply, new Refusal(401, bodyKey === undefined ? 'missing write key: send it as the HTTP Basic user name or as writeKey in the body' : 'unknown write key'));
          }
          let events: SignalEvent[];
          try {
            events = await parseRequest(kind, request.body, request.ingestBodyBytes, now(), budget);
          } catch (error) {
            if (error instanceof Refusal) return refuse(request, reply, error, source);
            throw error;
          }
          const integrations = routes.get(source) ?? [];
          for (const event of events) {
            if (event.context.ip === undefined) event.context.ip = request.ip;
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
              reply,
              new Refusal(503, `storage cannot take events right now (${reason}); nothing was stored, retry later`, { retryAfterSeconds: retryAfterSeconds.storage, unavailable: 'storage' }),
              source,
            );
          }
          const stored = result.outcomes.filter((o) => o === 'stored').length;
          if (stored > 0) {
            backlog.appended(stored * integrations.length);
            for (const id of integrations) {
              metrics.accepted.inc({ integration: id }, stored);
              wake(id);
            }
          }
          return reply.code(200).send({ success: true });
        };
        for (const path of paths) scope.post(path, handler);
      }
    },
    { prefix: '/v1' },
  );
}

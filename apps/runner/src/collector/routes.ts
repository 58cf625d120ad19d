import { parseEvent, type EventType, type FieldIssue, type SignalEvent } from '@signal/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RunnerMetrics } from '../metrics/registry.js';
import type { AppendItem, Spool } from '../spool/types.js';
import { writeKeyOf } from './auth.js';
import { bodySizeOf } from './body-size.js';
import { collectorLimits } from './limits.js';
import type { RejectionFeed } from './rejections.js';

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
  now?: () => Date;
}

class Refusal {
  constructor(
    readonly status: 400 | 401 | 413,
    readonly error: string,
    readonly issues: FieldIssue[] = [],
  ) {}
}

const singleTypes: Record<string, EventType> = { track: 'track', page: 'page', identify: 'identify', group: 'group' };

/** Segment's browser SDK (analytics-next) posts to short paths: /v1/t, /v1/p, /v1/i, /v1/g, /v1/b. */
const routePaths: [kind: string, paths: string[]][] = [
  ['track', ['/v1/track', '/v1/t']],
  ['page', ['/v1/page', '/v1/p']],
  ['identify', ['/v1/identify', '/v1/i']],
  ['group', ['/v1/group', '/v1/g']],
  ['batch', ['/v1/batch', '/v1/b']],
];

function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

function issuesText(issues: FieldIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
}

/**
 * Validates the whole request before storing anything, so a rejected request
 * is never half-stored; answers 200 only once the spool has committed.
 */
function parseRequest(kind: string, body: unknown, bodyBytes: number | undefined, receivedAt: Date): SignalEvent[] {
  // Each event's JSON as sent is part of the body, so a body within the per-event limit needs no
  // per-event measuring (a JSON.stringify of each event: ~5% of ingest CPU). Re-serialising can only
  // lengthen numbers in exponent form (1e20 -> 21 digits); the limit applies to what the client sent.
  const measure = bodyBytes === undefined || bodyBytes > collectorLimits.maxEventBytes;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Refusal(400, 'the body must be a JSON object');
  if (kind === 'batch') {
    const batch = (body as { batch?: unknown }).batch;
    if (!Array.isArray(batch)) throw new Refusal(400, 'batch: must be a list of events', [{ path: 'batch', message: 'must be a list of events' }]);
    if (batch.length > collectorLimits.maxBatchEvents) {
      throw new Refusal(413, `batch: ${batch.length} events is more than ${collectorLimits.maxBatchEvents} per request; split it`);
    }
    const events: SignalEvent[] = [];
    const issues: FieldIssue[] = [];
    batch.forEach((item, i) => {
      if (measure && byteSize(item) > collectorLimits.maxEventBytes) {
        throw new Refusal(413, `batch.${i}: event is larger than ${collectorLimits.maxEventBytes / 1024} KB`);
      }
      const parsed = parseEvent(item, { receivedAt });
      if (parsed.ok) events.push(parsed.event);
      else issues.push(...parsed.issues.map((issue) => ({ path: `batch.${i}${issue.path === '(root)' ? '' : `.${issue.path}`}`, message: issue.message })));
    });
    if (issues.length > 0) throw new Refusal(400, issuesText(issues), issues);
    return events;
  }
  if (measure && byteSize(body) > collectorLimits.maxEventBytes) throw new Refusal(413, `event is larger than ${collectorLimits.maxEventBytes / 1024} KB`);
  const parsed = parseEvent(body, { type: singleTypes[kind]!, receivedAt });
  if (!parsed.ok) throw new Refusal(400, issuesText(parsed.issues), parsed.issues);
  return [parsed.event];
}

export function registerCollector(app: FastifyInstance, options: CollectorOptions): void {
  const { spool, sources, routes, metrics, wake } = options;
  const now = options.now ?? (() => new Date());

  const refuse = (request: FastifyRequest, reply: FastifyReply, refusal: Refusal, source?: string) => {
    metrics.collectorRejected.inc({ status: String(refusal.status) });
    const userAgent = request.headers['user-agent'];
    options.rejections?.emit({
      at: Date.now(),
      status: refusal.status,
      reason: refusal.error,
      path: request.url.split('?')[0] ?? request.url,
      ip: request.ip,
      ...(source === undefined ? {} : { source }),
      ...(typeof userAgent === 'string' ? { userAgent } : {}),
    });
    return reply.code(refusal.status).send({ success: false, error: refusal.error, ...(refusal.issues.length > 0 ? { issues: refusal.issues } : {}) });
  };

  // Browsers post from the site's own origin; the write key (in the body) is the credential, not cookies.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return;
    reply.header('access-control-allow-origin', '*');
    reply.header('access-control-allow-methods', 'POST, OPTIONS');
    reply.header('access-control-allow-headers', 'content-type, authorization');
    reply.header('access-control-max-age', '86400');
  });
  app.options('/v1/*', async (_request, reply) => reply.code(204).send());

  for (const [kind, paths] of routePaths) {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const key = writeKeyOf(request);
      const source = key === undefined ? undefined : sources.get(key);
      if (source === undefined) {
        return refuse(request, reply, new Refusal(401, key === undefined ? 'missing write key: send it as the HTTP Basic user name or as writeKey in the body' : 'unknown write key'));
      }
      let events: SignalEvent[];
      try {
        events = parseRequest(kind, request.body, bodySizeOf(request), now());
      } catch (error) {
        if (error instanceof Refusal) return refuse(request, reply, error, source);
        throw error;
      }
      const integrations = routes.get(source) ?? [];
      for (const event of events) {
        if (event.context.ip === undefined) event.context.ip = request.ip;
      }
      const items: AppendItem[] = events.map((event) => ({ event, integrations, source }));
      const { outcomes } = await spool.append(items);
      const stored = outcomes.filter((o) => o === 'stored').length;
      if (stored > 0) {
        for (const id of integrations) {
          metrics.accepted.inc({ integration: id }, stored);
          wake(id);
        }
      }
      return reply.code(200).send({ success: true });
    };
    for (const path of paths) app.post(path, handler);
  }
}

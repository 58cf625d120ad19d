import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@signal/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { createCollector, isIngestPath } from '../collector/handler.js';
import { collectorLimits, defaultProtection, type CollectorProtection } from '../collector/limits.js';
import { logRejections } from '../collector/rejection-log.js';
import type { RunnerMetrics } from '../metrics/registry.js';
import type { Spool } from '../spool/types.js';
import { IngestFeed } from '../collector/ingest-feed.js';
import { installAdminGuard } from './admin-auth.js';
import { registerDeliveryLog } from './delivery-log.js';

export interface ServerOptions {
  spool: Spool;
  metrics: RunnerMetrics;
  sources: Map<string, string>;
  routes: Map<string, string[]>;
  /** The admin credential for /api and /debugger (see api/admin-auth.ts). Without one they are locked (401). */
  adminToken?: string;
  /** Configured integration ids (replay and resume refuse others). Default: those the pipelines route to. */
  integrations?: readonly string[];
  /** Masks configured secrets in text; every admin answer passes through it. */
  redact?: (text: string) => string;
  /** Refused ingest requests, and stored ones, are told here. */
  rejections?: IngestFeed;
  /** Rate-limited log line per refused ingest request, and unexpected errors. */
  logger?: Logger;
  /** Collector timeouts, in-flight body cap, backlog bound (server.* and storage.max_backlog; defaults in collector/limits.ts). */
  protection?: Partial<CollectorProtection>;
  engine: {
    wake(integration?: string): void;
    paused(): Record<string, string>;
    resume(integration: string): void;
    running(): boolean;
  };
}

/** How often /readyz may try a write while the spool reports it cannot. */
const probeEveryMs = 2_000;

/** One HTTP server: collector (/v1), health, metrics and the delivery log API (/api). */
export function buildServer(options: ServerOptions): FastifyInstance {
  const { spool, metrics, engine } = options;
  const protection = { ...defaultProtection, ...options.protection };
  const rejections = options.rejections ?? new IngestFeed();
  // The server hands every /v1 request to the collector before Fastify routes anything (collector/handler.ts).
  const collector = createCollector({
    spool,
    sources: options.sources,
    routes: options.routes,
    metrics,
    wake: (id) => engine.wake(id),
    feed: rejections,
    protection,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const app = Fastify({
    bodyLimit: collectorLimits.maxBatchBytes,
    logger: false,
    serverFactory: (fastifyHandler) => {
      // Slow clients: headers, whole request (a backstop; the collector's own body deadline is exact), idle keep-alive.
      const server = createServer({ headersTimeout: protection.headersTimeoutMs, connectionsCheckingInterval: 1_000 }, (request, response) => {
        if (isIngestPath(request.url ?? '/')) collector.handle(request, response);
        else fastifyHandler(request, response);
      });
      server.requestTimeout = protection.headersTimeoutMs + protection.bodyTimeoutMs + 5_000;
      server.keepAliveTimeout = protection.idleTimeoutMs;
      return server;
    },
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => answerClientError(error, socket, rejections, metrics),
  });
  // First, before any route: the admin surface (/api, /debugger) is never open without a credential.
  installAdminGuard(app, { token: options.adminToken, redact: options.redact });

  // The root scope keeps Fastify's own parsers (JSON with prototype-poisoning checks) for /api;
  // /v1 never reaches Fastify (the collector reads its own bodies: collector/body.ts).
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ success: false, error: `request body is larger than ${collectorLimits.maxBatchBytes / 1024} KB` });
    }
    if (status >= 400 && status < 500) {
      const message = /json/i.test(error.message) || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? `invalid JSON: ${error.message}` : error.message;
      return reply.code(status).send({ success: false, error: message });
    }
    options.logger?.error({ error: error.message }, 'unexpected error');
    return reply.code(500).send({ success: false, error: 'internal error; the event was not stored, send it again' });
  });
  if (options.logger !== undefined) {
    const stopLogging = logRejections(rejections, options.logger);
    app.addHook('onClose', async () => stopLogging());
  }

  // Callback style: no promise per request on the ingest path.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.get('/healthz', async () => ({ ok: true }));
  let lastProbe = 0;
  app.get('/readyz', async (_req, reply) => {
    const ready = engine.running();
    let spoolOk = true;
    try {
      await spool.stats();
    } catch {
      spoolOk = false;
    }
    // A spool that cannot write is open but not ready: ingest answers 503 until a write succeeds
    // again. With no traffic (a load balancer following /readyz), a probe write finds out.
    if (!spool.health().writable && Date.now() - lastProbe >= probeEveryMs) {
      lastProbe = Date.now();
      await spool.probeWrite().catch(() => undefined);
    }
    const health = spool.health();
    const ok = ready && spoolOk && health.writable;
    return reply.code(ok ? 200 : 503).send({
      ready: ok,
      spool: !spoolOk ? 'unavailable' : health.writable ? 'open' : 'not writable',
      ...(health.writable ? {} : { storage: { reason: health.reason ?? 'unknown', ...(health.since === undefined ? {} : { since: new Date(health.since).toISOString() }) } }),
      engine: ready ? 'running' : 'stopped',
    });
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });

  // As Fastify answers 503 to requests that arrive while it closes.
  app.addHook('preClose', (done) => {
    collector.close();
    done();
  });
  registerDeliveryLog(app, {
    spool,
    integrations: options.integrations ?? [...new Set([...options.routes.values()].flat())],
    redact: options.redact,
    wake: (id) => engine.wake(id),
    paused: () => engine.paused(),
    resume: (id) => engine.resume(id),
  });
  return app;
}

/**
 * Errors before Fastify has a request (malformed HTTP, headers too large, headers too slow):
 * Fastify's default answer, in the collector's shape, also counted and told to the feed.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket, rejections: IngestFeed, metrics: RunnerMetrics): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request headers did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are too large']
        : [400, `malformed HTTP request${error.code === undefined ? '' : ` (${error.code})`}`];
  metrics.collectorRejected.inc({ status: String(status) });
  rejections.emit({ at: Date.now(), status, reason, path: '(unparsed request)', ip: socket.remoteAddress ?? '' });
  if (socket.writable) {
    const body = JSON.stringify({ success: false, error: reason });
    socket.write(`HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

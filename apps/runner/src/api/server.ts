import Fastify, { type FastifyInstance } from 'fastify';
import { registerCollector } from '../collector/routes.js';
import { recordBodySize } from '../collector/body-size.js';
import { collectorLimits } from '../collector/limits.js';
import type { RunnerMetrics } from '../metrics/registry.js';
import type { Spool } from '../spool/types.js';
import type { RejectionFeed } from '../collector/rejections.js';
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
  /** Refused ingest requests are told here. */
  rejections?: RejectionFeed;
  engine: {
    wake(integration?: string): void;
    paused(): Record<string, string>;
    resume(integration: string): void;
    running(): boolean;
  };
}

/** One HTTP server: collector (/v1), health, metrics and the delivery log API (/api). */
export function buildServer(options: ServerOptions): FastifyInstance {
  const { spool, metrics, engine } = options;
  const app = Fastify({ bodyLimit: collectorLimits.maxBatchBytes, logger: false });
  // First, before any route: the admin surface (/api, /debugger) is never open without a credential.
  installAdminGuard(app, { token: options.adminToken, redact: options.redact });

  // Fastify's own JSON parsing (errors, prototype-poisoning checks), plus the body's size for the collector.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    recordBodySize(request, Buffer.byteLength(body as string));
    parseJson(request, body as string, done);
  });
  // Browsers' sendBeacon posts text/plain; Segment's analytics.js relies on it.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (request, body, done) => {
    recordBodySize(request, Buffer.byteLength(body as string));
    try {
      done(null, JSON.parse(body as string));
    } catch {
      const err = Object.assign(new SyntaxError('Body is not valid JSON'), { statusCode: 400 });
      done(err, undefined);
    }
  });

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      metrics.collectorRejected.inc({ status: '413' });
      return reply.code(413).send({ success: false, error: `request body is larger than ${collectorLimits.maxBatchBytes / 1024} KB` });
    }
    if (status >= 400 && status < 500) {
      metrics.collectorRejected.inc({ status: String(status) });
      const message = /json/i.test(error.message) || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? `invalid JSON: ${error.message}` : error.message;
      return reply.code(status).send({ success: false, error: message });
    }
    app.log.error(error);
    return reply.code(500).send({ success: false, error: 'internal error; the event was not stored, send it again' });
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.requestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const ready = engine.running();
    let spoolOk = true;
    try {
      await spool.stats();
    } catch {
      spoolOk = false;
    }
    return reply.code(ready && spoolOk ? 200 : 503).send({ ready: ready && spoolOk, spool: spoolOk ? 'open' : 'unavailable', engine: ready ? 'running' : 'stopped' });
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });

  registerCollector(app, {
    spool,
    sources: options.sources,
    routes: options.routes,
    metrics,
    wake: (id) => engine.wake(id),
    ...(options.rejections === undefined ? {} : { rejections: options.rejections }),
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

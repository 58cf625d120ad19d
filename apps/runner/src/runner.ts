import { createHttpClient, SignalError, type HttpClient, type Logger, type RetryPolicyConfig } from '@signal/core';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './api/server.js';
import { registerDebugger } from './debugger/index.js';
import type { LoadedConfig } from './config/load.js';
import { createDeliveryEngine, type AttemptEvent } from './delivery/index.js';

export type { AttemptEvent };
import { countAttempt, createMetrics, type RunnerMetrics } from './metrics/registry.js';
import { openSpool } from './storage/open-spool.js';
import { startRetention } from './storage/retention.js';
import type { Spool } from './spool/types.js';
import { RejectionFeed } from './collector/rejections.js';
import { protectionFromConfig } from './collector/limits.js';

/** The runner could not start (port taken, spool unavailable). The message says what to do. */
export class RunnerStartError extends SignalError {
  readonly kind = 'runner_start';
}

export interface RunnerOptions {
  logger: Logger;
  /** Overrides server.port (0 = any free port). */
  port?: number;
  host?: string;
  /** Called for every delivery attempt (the `signal dev` live view). */
  onAttempt?: (event: AttemptEvent) => void;
  /** Engine timing knobs (tests use short ones). */
  engine?: { lingerMs?: number; pollIntervalMs?: number; leaseMs?: number; authPauseMs?: number; maxRecordsInFlight?: number };
  /** HTTP client options beyond the config's host overrides. */
  httpTimeoutMs?: number;
}

export interface Runner {
  /** Base URL of the collector/API, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  spool: Spool;
  metrics: RunnerMetrics;
  app: FastifyInstance;
  /** Refused ingest requests (the debugger's live view and the log listen here). */
  rejections: RejectionFeed;
  stop(): Promise<void>;
}

/** Collector + delivery in one process: opens the spool, starts the engine, then listens. */
export async function startRunner(loaded: LoadedConfig, options: RunnerOptions): Promise<Runner> {
  const { config } = loaded;
  const { logger } = options;
  const spool = await openSpool(loaded);
  const stopRetention = config.storage.driver === 'sqlite' ? startRetention(spool, config.storage.retention_days, logger) : () => {};
  const timeoutMs = options.httpTimeoutMs ?? config.http.timeout_ms;
  const http: HttpClient = createHttpClient({ hostOverrides: config.http.host_overrides, ...(timeoutMs === undefined ? {} : { timeoutMs }) });

  const retryByIntegration: Record<string, Partial<RetryPolicyConfig>> = {};
  const concurrency: Record<string, number> = {};
  for (const { entry } of loaded.integrations) {
    if (entry.retry !== undefined) retryByIntegration[entry.id] = entry.retry;
    if (entry.concurrency !== undefined) concurrency[entry.id] = entry.concurrency;
  }
  // A claim must outlive the slowest request; with a configured timeout, a crashed runner's jobs come back sooner.
  const leaseMs = timeoutMs === undefined ? undefined : Math.max(1_000, timeoutMs * 2);
  const engine = createDeliveryEngine({
    spool,
    integrations: loaded.integrations.map((i) => i.integration),
    http,
    retryByIntegration,
    concurrency,
    logger,
    ...(leaseMs === undefined ? {} : { leaseMs }),
    ...options.engine,
  });
  const metrics = createMetrics(spool, () => engine.paused());
  engine.on('attempt', (e: AttemptEvent) => {
    countAttempt(metrics, e.integration, e.state);
    options.onAttempt?.(e);
  });

  let running = false;
  const rejections = new RejectionFeed();
  const app = buildServer({
    rejections,
    logger,
    protection: protectionFromConfig(config),
    spool,
    metrics,
    sources: new Map(config.sources.map((s) => [s.write_key, s.id])),
    routes: loaded.routes,
    ...(config.server.admin_token === undefined ? {} : { adminToken: config.server.admin_token }),
    engine: {
      wake: (id) => engine.wake(id),
      paused: () => engine.paused(),
      resume: (id) => engine.resume(id),
      running: () => running,
    },
  });

  await registerDebugger(app, {
    spool,
    engine,
    integrations: loaded.integrations.map((i) => i.integration.id),
    // Second layer of masking for the page: the spool already stores redacted exchanges.
    redact: (text) => loaded.integrations.reduce((out, i) => i.integration.redact(out), text),
    ...(config.server.admin_token === undefined ? {} : { adminToken: config.server.admin_token }),
  });

  engine.start();
  running = true;
  const port = options.port ?? config.server.port;
  const host = options.host ?? config.server.host;
  try {
    await app.listen({ port, host });
  } catch (error) {
    running = false;
    stopRetention();
    await engine.stop();
    await spool.close();
    await http.close();
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new RunnerStartError(`port ${port} is already in use. Fix: stop the other process, or pick another port (--port, or server.port in the config)`);
    if (code === 'EACCES') throw new RunnerStartError(`not allowed to listen on port ${port}. Fix: use a port above 1024`);
    throw error;
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  logger.info({ port: actualPort, spool: spool.driver, integrations: loaded.integrations.map((i) => i.integration.id) }, 'signal runner started');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      running = false;
      stopRetention();
      await app.close();
      await engine.stop();
      await spool.close();
      await http.close();
      logger.info({}, 'signal runner stopped');
    })();
    return stopping;
  };
  return { url: `http://${shownHost}:${actualPort}`, port: actualPort, spool, metrics, app, rejections, stop };
}

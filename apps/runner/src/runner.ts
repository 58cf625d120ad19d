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
import { IngestFeed } from './collector/ingest-feed.js';
import { laneConcurrency } from './delivery/concurrency.js';
import type { VendorFaultControl } from './dev/faults.js';

/** How long requests in flight to the collector get on stop before their connections are closed. */
const stopGraceMs = 5_000;
/** core's HTTP client default, when http.timeout_ms is not set. */
const defaultHttpTimeoutMs = 30_000;
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
  /** `signal dev`: the debugger may change how the fake vendors answer. */
  vendorFaults?: VendorFaultControl;
}

export interface Runner {
  /** Base URL of the collector/API, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  spool: Spool;
  metrics: RunnerMetrics;
  app: FastifyInstance;
  /** Refused ingest requests (the debugger's live view and the log listen here). */
  rejections: IngestFeed;
  /** Stops accepting, lets requests in flight end, gives back what the engine holds, closes the spool. Takes at most `stopBoundMs`. */
  stop(): Promise<void>;
  /** http.timeout_ms (a vendor request in flight) + the HTTP grace period: the documented bound on a graceful stop. */
  stopBoundMs: number;
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
  const rejections = new IngestFeed();
  // Every integration's secrets masked in any admin answer (the spool already holds redacted records).
  const redact = (text: string) => loaded.integrations.reduce((out, i) => i.integration.redact(out), text);
  const integrationIds = loaded.integrations.map((i) => i.integration.id);
  const app = buildServer({
    rejections,
    logger,
    protection: protectionFromConfig(config),
    spool,
    metrics,
    sources: new Map(config.sources.map((s) => [s.write_key, s.id])),
    routes: loaded.routes,
    integrations: integrationIds,
    redact,
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
    http,
    rejections,
    integrations: loaded.integrations.map(({ entry, integration }) => ({
      integration,
      plugin: entry.plugin,
      preset: entry.preset ?? integration.destination.defaultPreset,
      concurrency: laneConcurrency(integration, entry.concurrency),
      ...(entry.mapping === undefined ? {} : { overrides: entry.mapping }),
    })),
    ...(options.vendorFaults === undefined ? {} : { vendorFaults: options.vendorFaults }),
    redact,
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
      // New connections are refused at once; requests in flight (uploads, the debugger's stream)
      // get a grace period, then their connections are closed (a stalled client must not hold the stop).
      const forceClose = setTimeout(() => app.server.closeAllConnections(), stopGraceMs);
      try {
        // Ingest in flight still appends, so the spool closes after both; the engine's requests end by http.timeout_ms.
        await Promise.all([app.close(), engine.stop()]);
      } finally {
        clearTimeout(forceClose);
      }
      await spool.close();
      await http.close();
      logger.info({}, 'signal runner stopped');
    })();
    return stopping;
  };
  const stopBoundMs = (timeoutMs ?? defaultHttpTimeoutMs) + stopGraceMs;
  return { url: `http://${shownHost}:${actualPort}`, port: actualPort, spool, metrics, app, rejections, stop, stopBoundMs };
}

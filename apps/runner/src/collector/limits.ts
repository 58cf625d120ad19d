import type { SignalConfig } from '../config/schema.js';

/** The Segment HTTP API limits the collector mirrors (DESIGN.md). */
export const collectorLimits = {
  maxEventBytes: 32 * 1024,
  maxBatchBytes: 500 * 1024,
  maxBatchEvents: 2_500,
} as const;

/**
 * How the collector protects itself from slow or hostile clients and from unbounded storage
 * growth. Config keys: server.headers_timeout_ms, server.body_timeout_ms, server.idle_timeout_ms,
 * server.max_inflight_body_bytes, storage.max_backlog (README "HTTP API").
 */
export interface CollectorProtection {
  /** All request headers must arrive within this (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** An ingest request's whole body must arrive within this once its headers have (→ 408). */
  bodyTimeoutMs: number;
  /** A keep-alive connection with no request in flight is closed after this. */
  idleTimeoutMs: number;
  /**
   * Request-body bytes held in memory by all requests still being received. Over it, bodies
   * stop being read (paused) and new fast ones evict the slow ones (503, Retry-After):
   * collector/inflight.ts.
   */
  maxInflightBodyBytes: number;
  /** Jobs not yet final (all integrations) beyond which ingest answers 503 + Retry-After. */
  maxBacklog: number;
}

export const defaultProtection: CollectorProtection = {
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  // Above the 60 s idle timeout of common load balancers, so they never reuse a connection we closed.
  idleTimeoutMs: 72_000,
  // Eight full 500 KB batches mid-upload; a body arriving whole in one read never waits for room.
  maxInflightBodyBytes: 4 * 1024 * 1024,
  // Ten times the 1M-event queue the benchmarks hold; SQLite and JetStream handle it, disks fill later.
  maxBacklog: 10_000_000,
};

/** The config's protection keys (absent ones keep the defaults). */
export function protectionFromConfig(config: Pick<SignalConfig, 'server' | 'storage'>): Partial<CollectorProtection> {
  const { server, storage } = config;
  const out: Partial<CollectorProtection> = {};
  if (server.headers_timeout_ms !== undefined) out.headersTimeoutMs = server.headers_timeout_ms;
  if (server.body_timeout_ms !== undefined) out.bodyTimeoutMs = server.body_timeout_ms;
  if (server.idle_timeout_ms !== undefined) out.idleTimeoutMs = server.idle_timeout_ms;
  if (server.max_inflight_body_bytes !== undefined) out.maxInflightBodyBytes = server.max_inflight_body_bytes;
  if (storage.max_backlog !== undefined) out.maxBacklog = storage.max_backlog;
  return out;
}

/** Retry-After (seconds) of each 503: storage trouble takes a while, a busy moment does not. */
export const retryAfterSeconds = { storage: 5, backlog: 30, overload: 2 } as const;

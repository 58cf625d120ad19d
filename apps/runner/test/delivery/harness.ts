import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpClient, createIntegration, type AnyDestination, type HttpClient, type Logger, type RetryPolicyConfig, type SignalEvent } from '@signal/core';
import { createDeliveryEngine } from '../../src/delivery/index.js';
import type { AttemptEvent, DeliveryEngine } from '../../src/delivery/index.js';
import { openSqliteSpool, type SqliteSpool } from '../../src/spool/sqlite.js';
import type { Spool } from '../../src/spool/types.js';
import { startFakeVendor, type FakeHandler, type FakeVendor } from '@signal/core/testkit';
import { testDestination } from './test-destination.js';

export const SECRET = 'sekret-api-key-4242';

export interface Harness {
  spool: SqliteSpool;
  vendor: FakeVendor;
  engine: DeliveryEngine;
  http: HttpClient;
  attempts: AttemptEvent[];
  logs: { level: string; obj: object; msg?: string }[];
  clock: { now: () => number; advance: (ms: number) => void };
  path: string;
  append(events: SignalEvent[]): Promise<void>;
  /** Records the vendor received, per request, as message ids. */
  batches(): string[][];
  close(): Promise<void>;
}

export interface HarnessOptions {
  handler?: FakeHandler;
  settings?: Record<string, unknown>;
  consent?: string[];
  retry?: Partial<RetryPolicyConfig>;
  authPauseMs?: number;
  timeoutMs?: number;
  lingerMs?: number;
  concurrency?: number;
  maxRecordsInFlight?: number;
  /** Wraps the spool the engine sees (fault injection). */
  wrapSpool?: (spool: Spool) => Spool;
  /** Another destination than testDestination (same settings). */
  destination?: AnyDestination;
  /** `defaults`: no test override of the retry policy (core's and the plugin's defaults apply). */
  retryDefaults?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'signal-delivery-'));
  const path = join(dir, 'spool.db');
  let t = Date.now();
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  const spool = openSqliteSpool({ path, now: clock.now });
  const vendor = await startFakeVendor(options.handler);
  const http = createHttpClient({ hostOverrides: { '*': vendor.url }, timeoutMs: options.timeoutMs ?? 2_000 });
  const integration = createIntegration(options.destination ?? testDestination, {
    id: 'test',
    settings: { api_key: SECRET, ...options.settings },
    ...(options.consent === undefined ? {} : { consent: options.consent }),
  });
  const logs: Harness['logs'] = [];
  const logger: Logger = {
    debug: (obj, msg) => logs.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
  };
  const engine = createDeliveryEngine({
    spool: options.wrapSpool?.(spool) ?? spool,
    integrations: [integration],
    http,
    ...(options.retryDefaults === true ? {} : { retry: { base_ms: 1_000, max_attempts: 3, min_window_ms: 0, ...options.retry } }),
    lingerMs: options.lingerMs ?? 0,
    pollIntervalMs: 20,
    leaseMs: 60_000,
    authPauseMs: options.authPauseMs ?? 300_000,
    logger,
    now: clock.now,
    random: () => 0.5,
    ...(options.concurrency === undefined ? {} : { concurrency: { test: options.concurrency } }),
    ...(options.maxRecordsInFlight === undefined ? {} : { maxRecordsInFlight: options.maxRecordsInFlight }),
  });
  const attempts: AttemptEvent[] = [];
  engine.on('attempt', (e) => attempts.push(e));
  let closed = false;
  return {
    spool,
    vendor,
    engine,
    http,
    attempts,
    logs,
    clock,
    path,
    async append(events) {
      await spool.append(events.map((event) => ({ event, integrations: ['test'], source: 'web' })));
      engine.wake('test');
    },
    batches: () => vendor.requests.map((r) => (r.json<{ records: { id: string }[] }>().records ?? []).map((rec) => rec.id)),
    async close() {
      if (closed) return;
      closed = true;
      await engine.stop();
      await spool.close().catch(() => undefined);
      await http.close();
      await vendor.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` passes (throws its last error after 5 s): waits for outcomes, asserts nothing about time. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

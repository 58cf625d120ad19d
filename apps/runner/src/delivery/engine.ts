import { createRetryPolicy, type Integration } from '@signal/core';
import { laneConcurrency } from './concurrency.js';
import { IntegrationLane } from './lane.js';
import type { AttemptEvent, DeliveryEngine, DeliveryEngineOptions } from './types.js';

/** The runner caps linger at 1 s: a partial batch never waits longer for company. */
const maxLingerMs = 1_000;
const defaultLingerMs = 200;
/**
 * Records one lane holds claimed at once (in requests or waiting for a slot), unless set.
 * Each costs ~1.4 KB of heap while held (job, parsed event, mapped record, its share of the
 * body), and V8 lets old space grow to ~4× what survives a full GC: draining 1M to CleverTap,
 * 15 × 1000 held records peaked ~45 MB RSS above 5,000. With the writer thread (a second heap,
 * pages copied between the threads) 5,000 peaked at 354–361 MB draining 1M, 4,000 at 332–348 MB
 * (target ≤ 350) at the same ~26–31k events/s (bench/RESULTS.md).
 */
const defaultMaxRecordsInFlight = 4_000;
/** Jobs a lane of small batches may hold (claimed ahead of its free slots). */
const smallBatchRecords = 512;

/**
 * Vector-style shared delivery machinery: one lane per integration does claiming,
 * batching, concurrency, retries and the delivery log; plugins only build
 * requests and read responses (through core's Integration).
 */
export function createDeliveryEngine(options: DeliveryEngineOptions): DeliveryEngine {
  const now = options.now ?? Date.now;
  const listeners: ((e: AttemptEvent) => void)[] = [];
  const emit = (event: AttemptEvent): void => {
    for (const fn of listeners) {
      try {
        fn(event);
      } catch (error) {
        options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'an attempt listener threw; ignored');
      }
    }
  };

  const concurrencyOf = (integration: Integration): number => {
    const wanted = options.concurrency?.[integration.id];
    const cap = Math.max(1, integration.limits.maxConcurrency);
    if (wanted !== undefined && wanted > cap) {
      options.logger.warn({ integration: integration.id, wanted, cap }, `concurrency for ${integration.id} is capped at the plugin's maxConcurrency (${cap})`);
    }
    return laneConcurrency(integration, wanted);
  };

  const lanes = new Map<string, IntegrationLane>();
  for (const integration of options.integrations) {
    const concurrency = concurrencyOf(integration);
    lanes.set(
      integration.id,
      new IntegrationLane({
        integration,
        spool: options.spool,
        http: options.http,
        // Core defaults < the plugin's own policy (its vendor's schedule) < engine-wide option < the integration's `retry:`.
        policy: createRetryPolicy({ ...integration.destination.retry, ...options.retry, ...options.retryByIntegration?.[integration.id] }, options.random),
        concurrency,
        // Room for every slot's batch, and for small batches also for jobs claimed ahead (lane.ts).
        maxRecordsInFlight: Math.min(Math.max(Math.max(1, integration.limits.maxBatchItems) * concurrency, smallBatchRecords), options.maxRecordsInFlight ?? defaultMaxRecordsInFlight),
        lingerMs: Math.max(0, Math.min(maxLingerMs, options.lingerMs ?? integration.limits.lingerMs ?? defaultLingerMs)),
        pollIntervalMs: options.pollIntervalMs ?? 1_000,
        leaseMs: options.leaseMs ?? 60_000,
        authPauseMs: options.authPauseMs ?? 300_000,
        logger: options.logger,
        now,
        emit,
      }),
    );
  }

  return {
    start() {
      for (const lane of lanes.values()) lane.start();
    },
    async stop() {
      await Promise.all([...lanes.values()].map((lane) => lane.stop()));
    },
    on(_event, fn) {
      listeners.push(fn);
    },
    paused() {
      const out: Record<string, string> = {};
      for (const [id, lane] of lanes) {
        const message = lane.pausedMessage();
        if (message !== undefined) out[id] = message;
      }
      return out;
    },
    resume(integration) {
      lanes.get(integration)?.resume();
    },
    wake(integration) {
      if (integration === undefined) for (const lane of lanes.values()) lane.wake();
      else lanes.get(integration)?.wake();
    },
  };
}

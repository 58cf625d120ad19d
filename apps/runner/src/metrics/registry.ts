import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueStats, Spool } from '../spool/types.js';

/**
 * Prometheus metrics. One registry per runner (not prom-client's global one),
 * so several runners in one process (tests, `signal dev`) do not collide.
 */
export interface RunnerMetrics {
  registry: Registry;
  accepted: Counter<'integration'>;
  delivered: Counter<'integration'>;
  retried: Counter<'integration'>;
  deadLettered: Counter<'integration'>;
  rejected: Counter<'integration'>;
  dropped: Counter<'integration'>;
  collectorRejected: Counter<'status'>;
  /** 503s by cause: storage (the spool could not commit), backlog (over storage.max_backlog), overload (too many bodies in flight). */
  collectorUnavailable: Counter<'reason'>;
  requestDuration: Histogram<'method' | 'route' | 'status_code'>;
}

export function createMetrics(spool: Spool, paused: () => Record<string, string> = () => ({})): RunnerMetrics {
  const registry = new Registry();
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['integration'] as const, registers: [registry] });
  const metrics: RunnerMetrics = {
    registry,
    accepted: counter('signal_events_accepted_total', 'Events accepted by the collector, per integration they are routed to'),
    delivered: counter('signal_events_delivered_total', 'Events the vendor accepted'),
    retried: counter('signal_events_retried_total', 'Delivery attempts that will be retried'),
    deadLettered: counter('signal_events_dead_lettered_total', 'Events that ran out of retries'),
    rejected: counter('signal_events_rejected_total', 'Events the vendor refused permanently (bad payload)'),
    dropped: counter('signal_events_dropped_total', 'Events not sent on purpose (unmapped by the preset, or no consent)'),
    collectorRejected: new Counter({
      name: 'signal_collector_rejected_requests_total',
      help: 'Collector requests refused (400 bad event, 401 unknown key, 404 no such endpoint, 408 too slow, 413 too large, 415 unsupported type or encoding, 503 unavailable)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    collectorUnavailable: new Counter({
      name: 'signal_collector_unavailable_total',
      help: 'Collector requests answered 503 (retry later), by reason: storage (the spool could not commit), backlog (over storage.max_backlog), overload (too many request bodies in flight)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'signal_http_request_duration_seconds',
      help: 'HTTP request latency of the collector and API',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
  // Queue gauges are read from the spool at scrape time: the spool is the truth, across restarts and runners.
  // prom-client collects metrics concurrently, so each gauge reads the stats itself.
  const fromStats = (name: string, help: string, value: (s: QueueStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['integration'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await spool.stats().catch(() => [] as QueueStats[])) this.set({ integration: s.integration }, value(s));
      },
    });
  fromStats('signal_queue_depth', 'Jobs not yet final (pending, in flight, waiting to retry)', (s) => s.depth);
  fromStats('signal_queue_oldest_age_seconds', 'Age of the oldest job not yet final', (s) => s.oldestAgeMs / 1000);
  new Gauge({
    name: 'signal_spool_writable',
    help: '1 while the spool takes writes; 0 after a failed write (disk full, JetStream unavailable) until a write succeeds again',
    registers: [registry],
    collect() {
      this.set(spool.health().writable ? 1 : 0);
    },
  });
  new Gauge({
    name: 'signal_integration_paused',
    help: '1 while an integration is paused after an auth failure',
    labelNames: ['integration'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const id of Object.keys(paused())) this.set({ integration: id }, 1);
    },
  });
  return metrics;
}

/** Counts one engine attempt by its resulting state. */
export function countAttempt(metrics: RunnerMetrics, integration: string, state: string): void {
  const labels = { integration };
  switch (state) {
    case 'delivered':
      metrics.delivered.inc(labels);
      break;
    case 'retry':
      metrics.retried.inc(labels);
      break;
    case 'dead':
      metrics.deadLettered.inc(labels);
      break;
    case 'rejected':
      metrics.rejected.inc(labels);
      break;
    case 'dropped':
      metrics.dropped.inc(labels);
      break;
    default:
      break;
  }
}

import assert from 'node:assert/strict';
import type { AnyDestination, Logger, Outgoing } from '../destination.js';
import { parseEvent, type SignalEvent } from '../event.js';
import { createHttpClient } from '../http.js';
import { createIntegration, deliverAll, parseSettings, type Integration, type Prepared } from '../integration.js';
import { applyMapping } from '../mapping.js';
import type { DeliveryResult } from '../results.js';
import { definitionProblems } from '../definition-problems.js';
import { startFakeVendor, type FakeHandler, type FakeVendor, type RecordedRequest } from './fake-vendor.js';
import { captureConsole, withShiftedClock } from './sandbox-globals.js';
import { findSecret } from './secret-variants.js';

/**
 * The conformance kit (after Auth.js's adapter tests and unstorage's driver
 * tests): one suite every destination plugin runs against itself. Side effects
 * are checked through an independent oracle, the fake vendor's recorded
 * requests; optional capabilities gate their checks.
 */
export interface ConformanceOptions {
  plugin: AnyDestination;
  /** Valid settings. */
  settings: unknown;
  /** At least two events the default preset maps; sent and expected delivered. */
  events: Record<string, unknown>[];
  vendor: {
    /** How the real vendor answers a good request. */
    accept: FakeHandler;
    /**
     * The Signal events one request carries, as the vendor reads them: one item
     * per event, e.g. `(req) => req.json<{ d: unknown[] }>().d` for a
     * `{ "d": [...] }` body, or `(req) => [req.form()]` for one form-encoded
     * event per request. The kit compares them with what the plugin reported
     * delivered, so the fake vendor (not the plugin) is the oracle for what was sent.
     */
    records: (req: RecordedRequest) => unknown[];
  };
  /** An event the preset does not map (default: a track with an unlikely name). */
  unmappedEvent?: Record<string, unknown>;
  /** Preset to use (default: the plugin's default preset). */
  preset?: string;
}

export interface ConformanceCheck {
  name: string;
  /** Why the check was skipped (a capability the plugin does not declare), if it was. */
  skip?: string;
  run(): Promise<void>;
}

const FIXED_TIME = new Date('2025-06-06T09:00:00.000Z');

/** Most events the batching check sends (one more than maxBatchItems, up to this). */
const MAX_BATCH_PROBE = 10_001;

/** Parses fixture inputs into canonical events with stable ids and times (so runs are comparable). */
export function fixtureEvents(inputs: Record<string, unknown>[], prefix = 'conformance'): SignalEvent[] {
  return inputs.map((input, i) => {
    let n = 0;
    const parsed = parseEvent(input, { receivedAt: FIXED_TIME, generateId: () => `${prefix}-${i}-${n++}` });
    if (!parsed.ok) throw new TypeError(`fixture ${i} is not a valid event: ${parsed.issues.map((x) => `${x.path}: ${x.message}`).join('; ')}`);
    return parsed.event;
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (obj: object, msg?: string) => {
    lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  };
  return { logger: { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }, lines };
}

function secretValuesOf(plugin: AnyDestination, settings: unknown): string[] {
  const parsed = parseSettings(plugin, settings) as Record<string, unknown>;
  const values = plugin.secrets.map((k) => parsed[k]).filter((v): v is string => typeof v === 'string');
  for (const v of plugin.secretValues?.(parsed) ?? []) if (typeof v === 'string') values.push(v);
  return values.filter((v) => v.length >= 4);
}

function statuses(results: DeliveryResult[]): string[] {
  return results.map((r) => r.status);
}

export function conformanceChecks(options: ConformanceOptions): ConformanceCheck[] {
  const { plugin, settings } = options;
  const integrationConfig = { settings, ...(options.preset === undefined ? {} : { preset: options.preset }) };
  const makeIntegration = (mapping?: Parameters<typeof createIntegration>[1]['mapping']): Integration =>
    createIntegration(plugin, { ...integrationConfig, ...(mapping === undefined ? {} : { mapping }) });
  const unmappedInput = options.unmappedEvent ?? {
    type: 'track',
    event: 'Signal Conformance Unmapped Event',
    user_id: 'conformance-user',
    properties: { a: 1 },
  };

  /** The records each request carries, by the plugin author's `vendor.records`. */
  const recordsOf = (requests: RecordedRequest[]): unknown[][] => {
    assert.equal(typeof options.vendor.records, 'function', 'give the kit vendor.records: (req) => the records one request carries (one per event)');
    return requests.map((req, i) => {
      let records: unknown;
      try {
        records = options.vendor.records(req);
      } catch (error) {
        assert.fail(`vendor.records threw on request ${i} (${req.method} ${req.path}): ${error instanceof Error ? error.message : String(error)}`);
      }
      assert.ok(Array.isArray(records), `vendor.records must return an array (request ${i} gave ${typeof records})`);
      return records;
    });
  };

  /** The batches the kit expects the plugin to send for these events: prepare, then the one batching rule. */
  const expectedBatches = (events: SignalEvent[]): Outgoing[][] => {
    const integration = makeIntegration();
    const outgoing = events.map((e, i) => integration.prepare(e, i)).flatMap((p: Prepared) => (p.outcome === 'send' ? [p.outgoing] : []));
    return integration.chunk(outgoing);
  };

  /** Runs the given events through a fresh fake vendor answering with `handler`. */
  async function deliverWith(handler: FakeHandler, events: SignalEvent[], timeoutMs = 2_000, logger?: Logger) {
    const vendor: FakeVendor = await startFakeVendor(handler);
    const http = createHttpClient({ hostOverrides: { '*': vendor.url }, timeoutMs });
    try {
      const outcome = await deliverAll(makeIntegration(), events, http, logger);
      return { ...outcome, requests: [...vendor.requests] };
    } finally {
      await http.close();
      await vendor.close();
    }
  }

  const checks: ConformanceCheck[] = [];
  const check = (name: string, run: () => Promise<void>, skip?: string) => checks.push(skip === undefined ? { name, run } : { name, run, skip });

  check('declares a complete definition', async () => {
    assert.deepEqual(definitionProblems(plugin), [], 'the definition is incomplete');
    for (const key of ['id', 'name', 'version'] as const) assert.ok(typeof plugin[key] === 'string' && plugin[key].length > 0, `definition.${key} must be a non-empty string`);
    assert.ok(plugin.presets[plugin.defaultPreset], `defaultPreset "${plugin.defaultPreset}" must name a preset`);
    const limits = makeIntegration().limits;
    for (const key of ['maxBatchItems', 'maxConcurrency'] as const) {
      assert.ok(Number.isInteger(limits[key]) && limits[key] >= 1, `limits.${key} must be a positive integer (got ${String(limits[key])})`);
    }
    assert.equal(typeof plugin.capabilities.batching, 'boolean', 'capabilities.batching must be declared');
    assert.equal(typeof plugin.capabilities.identify, 'boolean', 'capabilities.identify must be declared');
    assert.ok(options.events.length >= 2, 'give the kit at least two mapped fixture events');
  });

  check('accepts valid settings and names the field of invalid ones', async () => {
    assert.doesNotThrow(() => parseSettings(plugin, settings), 'the given valid settings must parse');
    let error: unknown;
    try {
      parseSettings(plugin, {});
    } catch (e) {
      error = e;
    }
    assert.ok(error !== undefined, 'empty settings must be rejected (a destination needs at least one setting)');
    const err = error as { kind?: string; issues?: { path: string; message: string }[]; message: string };
    assert.equal(err.kind, 'settings', `invalid settings must throw SettingsError (got ${String(err.kind)})`);
    assert.ok(err.issues && err.issues.length > 0, 'SettingsError must list issues');
    for (const issue of err.issues) {
      assert.match(issue.path, /^settings\.\w/, `each issue must name its field (got "${issue.path}")`);
      assert.ok(err.message.includes(issue.path), `the message must mention ${issue.path}`);
    }
  });

  check('transform is pure and deterministic', async () => {
    const events = fixtureEvents(options.events);
    const runs = [0, 1].map((run) =>
      // A different clock (Date.now, new Date(), Date(), performance.now) and random source per run: output must not change.
      withShiftedClock(run * 86_400_000 + 1_234, run === 0 ? 0.123 : 0.987, () => {
        const integration = makeIntegration();
        return events.map((event) => {
          const frozen = deepFreeze(structuredClone(event));
          const before = JSON.stringify(frozen);
          const prepared = integration.prepare(frozen);
          assert.equal(JSON.stringify(frozen), before, 'transform must not mutate its input');
          return prepared;
        });
      }),
    );
    runs[0]!.forEach((p, i) => {
      assert.equal(p.outcome, 'send', `fixture ${i} must map to a record (got ${JSON.stringify(p)})`);
      assert.deepEqual(runs[1]![i], p, `fixture ${i}: two transforms gave different output (a clock — Date.now, new Date(), performance.now —, randomness or state?)`);
    });
  });

  check('drops unmapped events and events mapped to drop', async () => {
    const [unmapped] = fixtureEvents([unmappedInput], 'unmapped');
    const integration = makeIntegration();
    if (integration.mapping.unmapped !== 'passthrough') {
      const p = integration.prepare(unmapped!);
      assert.ok(p.outcome === 'done' && p.result.status === 'dropped', `an unmapped event must be dropped (got ${JSON.stringify(p)})`);
    }
    const [first] = fixtureEvents([options.events[0]!], 'drop');
    const key = first!.type === 'track' ? first!.event! : first!.type;
    const dropping = makeIntegration({ events: { [key]: 'drop' } });
    const p = dropping.prepare(first!);
    assert.ok(p.outcome === 'done' && p.result.status === 'dropped', `an event mapped to "drop" must be dropped (got ${JSON.stringify(p)})`);
    assert.equal(applyMapping(first!, dropping.mapping).action, 'drop');
  });

  check('delivers: one result per event, in order', async () => {
    const events = fixtureEvents([options.events[0]!, unmappedInput, ...options.events.slice(1)], 'order');
    const expected = events.map((e) => (makeIntegration().prepare(e).outcome === 'send' ? 'delivered' : 'dropped'));
    const { results, requests } = await deliverWith(options.vendor.accept, events);
    assert.equal(results.length, events.length, 'one result per event');
    assert.deepEqual(statuses(results), expected, 'results must be in event order');
    assert.ok(requests.length >= 1, 'the vendor must have received the events');
  });

  check('every event reported delivered reached the vendor', async () => {
    const events = fixtureEvents([options.events[0]!, unmappedInput, ...options.events.slice(1)], 'received');
    const batches = expectedBatches(events);
    const { results, requests } = await deliverWith(options.vendor.accept, events);
    assert.equal(requests.length, batches.length, `${batches.length} batch(es) must be ${batches.length} request(s) (got ${requests.length})`);
    const received = recordsOf(requests);
    batches.forEach((batch, i) => {
      const reported = batch.filter((o) => results[o.index]?.status === 'delivered').length;
      assert.ok(
        received[i]!.length >= reported,
        `request ${i} carried ${received[i]!.length} record(s) but ${reported} event(s) of its batch were reported delivered: events reported delivered were never sent`,
      );
    });
    // Distinct events must arrive as distinct records (not the first one twice and the second never).
    const sent = batches.flat().map((o) => JSON.stringify(o.record));
    if (new Set(sent).size === sent.length) {
      const arrived = received.flat().map((r) => JSON.stringify(r));
      assert.equal(new Set(arrived).size, arrived.length, 'the vendor received the same record more than once, so another event it was told about never arrived');
    }
  });

  check('sends exactly one record per event', async () => {
    const events = fixtureEvents(options.events, 'one-each');
    const batches = expectedBatches(events);
    const { requests } = await deliverWith(options.vendor.accept, events);
    const received = recordsOf(requests);
    batches.forEach((batch, i) => {
      assert.ok(
        (received[i]?.length ?? 0) <= batch.length,
        `request ${i} carried ${received[i]?.length ?? 0} records for ${batch.length} event(s): a plugin sends one vendor record per event (vendor.records must count events)`,
      );
    });
  });

  const statusCases: [number, DeliveryResult['status'], Record<string, string>?][] = [
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [429, 'retry', { 'retry-after': '7' }],
    [408, 'retry'],
    [409, 'retry'],
    [401, 'auth'],
    [403, 'auth'],
    [400, 'rejected'],
    [422, 'rejected'],
  ];
  for (const [status, want, headers] of statusCases) {
    check(`HTTP ${status} → ${want}`, async () => {
      const events = fixtureEvents(options.events, `http-${status}`);
      const { results, requests } = await deliverWith(() => ({ status, body: { error: `status ${status}` }, ...(headers ? { headers } : {}) }), events);
      assert.ok(requests.length >= 1, 'a request must have been sent');
      assert.deepEqual(statuses(results), events.map(() => want), `HTTP ${status} must classify as ${want}: ${JSON.stringify(results)}`);
      if (headers?.['retry-after'] !== undefined) {
        for (const r of results) {
          assert.ok(r.status === 'retry' && (r.retryAfterMs ?? 0) >= 7_000, `Retry-After: 7 must give retryAfterMs ≥ 7000 (got ${JSON.stringify(r)})`);
        }
      }
    });
  }

  for (const fault of ['reset', 'timeout'] as const) {
    check(`network ${fault} → retry`, async () => {
      const events = fixtureEvents(options.events, fault);
      const { results } = await deliverWith(() => ({ fault }), events, 300);
      assert.deepEqual(statuses(results), events.map(() => 'retry'), `a ${fault} must be retried: ${JSON.stringify(results)}`);
    });
  }

  const limits = makeIntegration().limits;
  check(
    'batches respect limits',
    async () => {
      // One more event than a batch holds, so a second request is needed; bounded for plugins with huge limits.
      const count = Math.min(limits.maxBatchItems + 1, MAX_BATCH_PROBE);
      const inputs = Array.from({ length: count }, (_, i) => ({ ...options.events[i % options.events.length]!, message_id: `batch-${i}` }));
      const events = fixtureEvents(inputs, 'batch');
      const { results, requests } = await deliverWith(options.vendor.accept, events, 10_000);
      assert.deepEqual(statuses(results), events.map(() => 'delivered'), 'every batched event must be delivered');
      if (count > limits.maxBatchItems) {
        assert.ok(requests.length >= 2, `${count} events with maxBatchItems ${limits.maxBatchItems} need at least 2 requests (got ${requests.length})`);
      }
      recordsOf(requests).forEach((records, i) => {
        assert.ok(records.length <= limits.maxBatchItems, `request ${i} carried ${records.length} records, over maxBatchItems ${limits.maxBatchItems}`);
      });
      if (limits.maxBatchBytes !== undefined) {
        for (const r of requests) assert.ok(r.rawBody.length <= limits.maxBatchBytes, `request of ${r.rawBody.length} bytes exceeds maxBatchBytes ${limits.maxBatchBytes}`);
      }
    },
    plugin.capabilities.batching ? undefined : 'capability batching not declared',
  );

  check(
    'sends one request per event without batching',
    async () => {
      assert.equal(limits.maxBatchItems, 1, 'a plugin without the batching capability must declare maxBatchItems 1');
      const events = fixtureEvents(options.events, 'single');
      const { requests } = await deliverWith(options.vendor.accept, events);
      assert.equal(requests.length, events.length, 'one request per event');
    },
    plugin.capabilities.batching ? 'capability batching declared' : undefined,
  );

  check(
    'maps identify calls',
    async () => {
      const [identify] = fixtureEvents([{ type: 'identify', user_id: 'conformance-user', traits: { email: 'jane@example.com', name: 'Jane' } }], 'identify');
      const p = makeIntegration().prepare(identify!);
      assert.equal(p.outcome, 'send', `an identify call must map to a record (got ${JSON.stringify(p)})`);
    },
    plugin.capabilities.identify ? undefined : 'capability identify not declared',
  );

  /** The runs the secret checks look at: a good vendor, one that echoes the request back (credentials included), a 401; and testConnection. */
  async function secretScenarios(logger: Logger) {
    const events = fixtureEvents(options.events, 'secrets');
    const echo: FakeHandler = (req) => ({ status: 500, body: `echo ${req.path} ${JSON.stringify(req.headers)} ${req.body}` });
    const outcomes = [
      await deliverWith(options.vendor.accept, events, 2_000, logger),
      await deliverWith(echo, events, 2_000, logger),
      await deliverWith(() => ({ status: 401, body: { error: 'bad key' } }), events, 2_000, logger),
    ];
    const connection: unknown[] = [];
    if (plugin.testConnection !== undefined) {
      for (const handler of [options.vendor.accept, echo]) {
        const vendor = await startFakeVendor(handler);
        const http = createHttpClient({ hostOverrides: { '*': vendor.url }, timeoutMs: 2_000 });
        try {
          const settingsParsed = parseSettings(plugin, settings);
          connection.push(await plugin.testConnection({ settings: settingsParsed, integrationId: plugin.id, logger, now: Date.now, http }).catch((e: unknown) => String(e)));
        } finally {
          await http.close();
          await vendor.close();
        }
      }
    }
    return { results: outcomes.map((o) => o.results), exchanges: outcomes.map((o) => o.exchanges), connection };
  }

  const leakMessage = (where: string, found: string[]) => `a secret value appears ${found.join(' and ')} in ${where}`;

  check('never leaks secrets into logs, results or the delivery log', async () => {
    const secrets = secretValuesOf(plugin, settings);
    if (secrets.length === 0) return;
    const { logger, lines } = capturingLogger();
    const seen = await secretScenarios(logger);
    const visible = JSON.stringify({ lines, ...seen });
    for (const secret of secrets) {
      const found = findSecret(visible, secret);
      assert.deepEqual(found, [], leakMessage('logs, results or the delivery log (if the plugin sends a secret encoded, return the encoded form from secretValues so it is masked)', found));
    }
  });

  check('never prints secrets to the console', async () => {
    const secrets = secretValuesOf(plugin, settings);
    if (secrets.length === 0) return;
    const { written } = await captureConsole(async () => {
      await secretScenarios(capturingLogger().logger);
      const integration = makeIntegration();
      for (const e of fixtureEvents(options.events, 'console')) integration.prepare(e);
    });
    const text = written.join('\n');
    for (const secret of secrets) {
      const found = findSecret(text, secret);
      assert.deepEqual(found, [], leakMessage('console output (console.*, process.stdout/stderr); log through ctx.logger, which the runner masks', found));
    }
  });

  return checks;
}

import { gunzipSync } from 'node:zlib';
import { hasConsent, missingConsent } from './consent.js';
import type { AnyDestination, DestinationLimits, Logger, Outgoing, RequestContext } from './destination.js';
import { silentLogger } from './destination.js';
import { ContractError, SettingsError, resultFromError } from './errors.js';
import { userKeyOf, type SignalEvent } from './event.js';
import { chunkByLimits } from './batching.js';
import { classifyHttpStatus, type HttpClient, type HttpRequest, type HttpResponse } from './http.js';
import { applyMapping, mergeMapping, type Mapping } from './mapping.js';
import { createJsonMaskCheck, createRedactor, redactHeaders, redactValue, secretsInSettings, type Redactor } from './redact.js';
import { type DeliveryResult } from './results.js';

/**
 * An integration is a destination bound to settings, a preset with overrides
 * and consent. It is the one way to run a plugin: the runner, `send-test` and
 * the conformance kit all go through `prepare` and `send`, so the contract is
 * enforced (and secrets are masked) in one place.
 */
export interface IntegrationConfig {
  id?: string;
  settings: unknown;
  preset?: string;
  mapping?: Mapping;
  consent?: string[];
}

/** The result of preparing one event: a record to send, or a final result (dropped/rejected). */
export type Prepared = { outcome: 'send'; outgoing: Outgoing } | { outcome: 'done'; index: number; messageId: string; result: DeliveryResult };

/** What crossed the wire for one batch, redacted: the delivery log's evidence. */
export interface Exchange {
  request: { method: string; url: string; headers: Record<string, string>; body: string };
  response?: { status: number; headers: Record<string, string>; body: string };
  error?: string;
  durationMs: number;
}

export interface SendOutcome {
  /** One per outgoing record, same order. */
  results: DeliveryResult[];
  exchange: Exchange;
}

export interface Integration {
  readonly id: string;
  readonly destination: AnyDestination;
  readonly settings: unknown;
  readonly mapping: Mapping;
  readonly limits: DestinationLimits;
  readonly consent: readonly string[];
  /** Masks this integration's secrets in a text (the one set of rules: core's redact.ts). */
  readonly redact: Redactor;
  /** The same masking over every string of a value: what the engine stores of a mapped record (the debugger's copy). */
  redactRecord<T>(record: T): T;
  /**
   * The JSON text of redactRecord(outgoing.record), what the delivery log stores: the text
   * `prepare` already made when masking provably changes nothing (no secret or URL credential
   * in it), so the usual record is neither walked nor serialized again. Undefined for no record.
   */
  redactedRecordJson(outgoing: Outgoing): string | undefined;
  prepare(event: SignalEvent, index?: number): Prepared;
  /** Splits records into request-sized chunks (the one batching rule). */
  chunk(outgoing: readonly Outgoing[]): Outgoing[][];
  /** Sends one chunk; never throws for vendor, network or request-building failures (only for a broken contract). `now` is the clock plugins see. */
  send(batch: Outgoing[], http: HttpClient, logger?: Logger, now?: () => number): Promise<SendOutcome>;
}

export function parseSettings(destination: AnyDestination, settings: unknown, where = 'settings'): unknown {
  const parsed = destination.settings.safeParse(settings ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new SettingsError(`${destination.name} ${where} are invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/** The body as the delivery log shows it: gzip is decoded so the log stays readable. */
function bodyText(request: HttpRequest): string {
  const { body } = request;
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  const encoding = Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'content-encoding')?.[1];
  if (encoding === 'gzip') {
    try {
      return gunzipSync(body).toString('utf8');
    } catch {
      return `<${body.byteLength} bytes, not valid gzip>`;
    }
  }
  return `<${body.byteLength} bytes binary>`;
}

export function createIntegration(destination: AnyDestination, config: IntegrationConfig): Integration {
  const id = config.id ?? destination.id;
  const settings = parseSettings(destination, config.settings);
  const presetName = config.preset ?? destination.defaultPreset;
  const preset = destination.presets[presetName];
  if (preset === undefined) {
    throw new SettingsError(`${destination.name} has no preset "${presetName}"; choose one of: ${Object.keys(destination.presets).join(', ')}`, [
      { path: 'preset', message: `unknown preset "${presetName}"` },
    ]);
  }
  const mapping = mergeMapping(preset, config.mapping);
  const limits = typeof destination.limits === 'function' ? destination.limits(settings) : destination.limits;
  const secretValues = [
    ...destination.secrets.map((key) => {
      const v = (settings as Record<string, unknown>)[key];
      return typeof v === 'string' ? v : undefined;
    }),
    ...(destination.secretValues?.(settings) ?? []),
    ...secretsInSettings(settings),
  ];
  const redact = createRedactor(secretValues);
  const mayMask = createJsonMaskCheck(secretValues);
  const consent = config.consent ?? [];
  const tctx = { settings, integrationId: id };

  const prepare = (event: SignalEvent, index = 0): Prepared => {
    const messageId = event.message_id;
    if (!hasConsent(event, consent)) {
      return { outcome: 'done', index, messageId, result: { status: 'dropped', reason: `no consent for: ${missingConsent(event, consent).join(', ')}` } };
    }
    const mapped = applyMapping(event, mapping);
    if (mapped.action === 'drop') return { outcome: 'done', index, messageId, result: { status: 'dropped', reason: mapped.reason } };
    try {
      const record: unknown = destination.transform(mapped.mapped, tctx);
      const json = JSON.stringify(record) as string | undefined;
      const outgoing: Outgoing = { index, messageId, userKey: userKeyOf(event), record, bytes: json === undefined ? 0 : Buffer.byteLength(json) };
      if (json !== undefined) outgoing.json = json;
      return { outcome: 'send', outgoing };
    } catch (error) {
      const result = resultFromError(error);
      return { outcome: 'done', index, messageId, result: { ...result, ...('message' in result ? { message: redact(result.message) } : {}) } as DeliveryResult };
    }
  };

  const send = async (batch: Outgoing[], http: HttpClient, logger: Logger = silentLogger, now: () => number = Date.now): Promise<SendOutcome> => {
    const ctx: RequestContext<unknown> = { ...tctx, logger, now };
    let request: HttpRequest;
    try {
      request = destination.buildRequest(batch, ctx);
    } catch (error) {
      // Nothing was sent: a deterministic failure, so retrying cannot help (a typed error may say otherwise).
      const result = redactResult(resultFromError(error), redact);
      const message = redact(error instanceof Error ? error.message : String(error));
      logger.error({ integration: id, records: batch.length, err: message }, `${destination.id}: building the request failed; nothing was sent`);
      return { results: batch.map(() => result), exchange: { request: { method: '', url: '', headers: {}, body: '' }, error: `buildRequest failed: ${message}`, durationMs: 0 } };
    }
    const started = performance.now();
    const exchange: Exchange = {
      request: {
        method: request.method,
        url: redact(http.resolveUrl(request.url)),
        headers: redactHeaders(request.headers, redact),
        body: redact(bodyText(request)),
      },
      durationMs: 0,
    };
    let response: HttpResponse;
    try {
      response = await http.send(request);
    } catch (error) {
      exchange.durationMs = performance.now() - started;
      const message = redact(error instanceof Error ? error.message : String(error));
      exchange.error = message;
      return { results: batch.map(() => ({ status: 'retry', reason: message })), exchange };
    }
    exchange.durationMs = performance.now() - started;
    exchange.response = { status: response.status, headers: redactHeaders(response.headers, redact), body: redact(response.body) };
    let results: DeliveryResult[];
    try {
      if (response.status >= 200 && response.status < 300) {
        results = destination.parseResponse(response, batch, ctx);
      } else {
        const special = destination.classifyError?.(response, batch, ctx);
        const result = special ?? classifyHttpStatus(response);
        results = Array.isArray(result) ? result : batch.map(() => result as DeliveryResult);
      }
    } catch (error) {
      const result = resultFromError(error);
      results = batch.map(() => result);
    }
    if (results.length !== batch.length) {
      throw new ContractError(`${destination.id} returned ${results.length} results for ${batch.length} events (must be one per event, in order)`);
    }
    return { results: results.map((r) => redactResult(r, redact)), exchange };
  };

  return {
    id,
    destination,
    settings,
    mapping,
    limits,
    consent,
    redact,
    redactRecord: (record) => redactValue(record, redact),
    redactedRecordJson: ({ record, json }) => {
      if (json !== undefined && !mayMask(json)) return json;
      return JSON.stringify(redactValue(record, redact)) as string | undefined;
    },
    prepare,
    chunk: (outgoing) => chunkByLimits(outgoing, limits),
    send,
  };
}

function redactResult(result: DeliveryResult, redact: Redactor): DeliveryResult {
  switch (result.status) {
    case 'retry':
      return { ...result, reason: redact(result.reason) };
    case 'rejected':
    case 'auth':
      return { ...result, message: redact(result.message) };
    case 'delivered':
      return result.warning === undefined ? result : { ...result, warning: redact(result.warning) };
    default:
      return result;
  }
}

/**
 * Delivers events through an integration in one go: prepare, chunk, send each
 * chunk (sequentially), and return one result per event in input order. Used
 * by `signal send-test` and the conformance kit; the runner schedules the same
 * steps itself.
 */
export async function deliverAll(
  integration: Integration,
  events: readonly SignalEvent[],
  http: HttpClient,
  logger?: Logger,
): Promise<{ results: DeliveryResult[]; exchanges: Exchange[] }> {
  const results: DeliveryResult[] = new Array(events.length);
  const toSend: Outgoing[] = [];
  events.forEach((event, i) => {
    const prepared = integration.prepare(event, i);
    if (prepared.outcome === 'done') results[i] = prepared.result;
    else toSend.push(prepared.outgoing);
  });
  const exchanges: Exchange[] = [];
  for (const chunk of integration.chunk(toSend)) {
    const outcome = await integration.send(chunk, http, logger);
    exchanges.push(outcome.exchange);
    chunk.forEach((o, j) => {
      results[o.index] = outcome.results[j]!;
    });
  }
  return { results, exchanges };
}

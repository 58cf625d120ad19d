import type { z } from 'zod';
import type { BatchLimits } from './batching.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http.js';
import type { MappedEvent, Preset } from './mapping.js';
import type { DeliveryResult } from './results.js';
import type { RetryPolicyConfig } from './retry-policy.js';

/** pino-compatible logger subset. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface DestinationLimits extends BatchLimits {
  /** Most requests in flight at once for one integration (across all runners). */
  maxConcurrency: number;
  /** Longest a partial batch waits for more events. The runner caps it at 1 s. */
  lingerMs?: number;
}

/** Optional features; the conformance kit gates its checks on them. */
export interface DestinationCapabilities {
  /** Sends several events in one request. */
  batching: boolean;
  /** Handles `identify` calls (maps traits to user attributes/profile). */
  identify: boolean;
  /**
   * The vendor dedupes a request by an id derived from the batch (LaunchDarkly's payload id).
   * The engine then retries a batch whose attempt ended without a definite answer (timeout,
   * reset, 5xx) as exactly the same records, never re-chunked with newer events, so the id
   * (a pure function of the batch) repeats and the vendor counts it once.
   */
  idempotentBatches?: boolean;
  /**
   * The vendor rejects a whole batch for one bad record (LaunchDarkly's 400). When a batch of
   * more than one record comes back `rejected` as a whole, the engine splits it in halves and
   * sends each again, down to single records, so only the bad ones end `rejected`.
   */
  bisectRejectedBatches?: boolean;
}

export interface TransformContext<S> {
  settings: S;
  integrationId: string;
}

export interface RequestContext<S> extends TransformContext<S> {
  logger: Logger;
  now: () => number;
}

/** One event's vendor record, ready to batch. Built by core from transform's output. */
export interface Outgoing<R = unknown> {
  /** Position of the event in the list given to `prepare`; ties results back. */
  index: number;
  messageId: string;
  userKey: string;
  record: R;
  /** JSON size of the record, in bytes (batching by bytes). */
  bytes: number;
  /** The record's JSON text, as `prepare` measured it (reused for the delivery log's copy; absent if built elsewhere). */
  json?: string;
}

export interface DestinationDefinition<S = unknown, R = unknown> {
  /** Stable id, e.g. `leanplum`. */
  id: string;
  name: string;
  version: string;
  description?: string;
  /** zod schema of the settings; parse errors are shown with their field paths. */
  settings: z.ZodType<S>;
  /** Settings keys whose values are secret: masked in logs, the delivery log and errors. */
  secrets: readonly string[];
  /** Extra secret values derived from settings (e.g. a password inside a URL). */
  secretValues?: (settings: S) => (string | undefined)[];
  presets: Record<string, Preset>;
  defaultPreset: string;
  limits: DestinationLimits | ((settings: S) => DestinationLimits);
  capabilities: DestinationCapabilities;
  /**
   * The plugin's default retry policy (e.g. the webhook spec: 5 retries from 1 min, doubling),
   * merged over core's defaults; the integration's `retry:` in config overrides it.
   */
  retry?: Partial<RetryPolicyConfig>;
  /** Mapped event → vendor record. Pure: no I/O, no clock, no randomness. Throw PayloadValidationError to reject one event. */
  transform(mapped: MappedEvent, ctx: TransformContext<S>): R;
  /** Records (already within limits) → the one HTTP request that carries them. Pure. */
  buildRequest(batch: Outgoing<R>[], ctx: RequestContext<S>): HttpRequest;
  /** A 2xx response → one result per record, in order. */
  parseResponse(response: HttpResponse, batch: Outgoing<R>[], ctx: RequestContext<S>): DeliveryResult[];
  /** Non-2xx override (e.g. LaunchDarkly 404 is a config error): return undefined for the default classification. */
  classifyError?(response: HttpResponse, batch: Outgoing<R>[], ctx: RequestContext<S>): DeliveryResult | DeliveryResult[] | undefined;
  /** A cheap authenticated call that proves the settings work. */
  testConnection?(ctx: RequestContext<S> & { http: HttpClient }): Promise<{ ok: boolean; message: string }>;
}

/** Declares a destination plugin; a package default-exports the result. */
export function defineDestination<S, R>(definition: DestinationDefinition<S, R>): DestinationDefinition<S, R> {
  if (definition.presets[definition.defaultPreset] === undefined) {
    throw new TypeError(`destination ${definition.id}: defaultPreset "${definition.defaultPreset}" is not one of its presets`);
  }
  return definition;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDestination = DestinationDefinition<any, any>;

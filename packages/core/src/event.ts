import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { inputLimits } from './input-limits.js';

/**
 * The canonical Signal event: snake_case, validated with zod. Ingestion also
 * accepts Segment's camelCase spelling (userId, anonymousId, messageId, …) and
 * normalises it before validation, so existing Segment SDKs work unchanged.
 */

export const eventTypes = ['track', 'page', 'identify', 'group'] as const;
export type EventType = (typeof eventTypes)[number];

const jsonObject = z.record(z.string(), z.unknown());

/** Identifiers: Segment SDKs may send numbers; Signal stores strings. */
const identifier = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(z.string().min(1, 'must not be empty').max(400, 'must be at most 400 characters'));

const isoTimestamp = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2025-06-06T09:00:00Z' });

export const consentSchema = z.looseObject({
  categories: z.array(z.string()).default([]),
});

export const contextSchema = z.looseObject({
  page: z
    .looseObject({
      url: z.string().optional(),
      path: z.string().optional(),
      referrer: z.string().optional(),
      title: z.string().optional(),
      search: z.string().optional(),
    })
    .optional(),
  ip: z.string().optional(),
  user_agent: z.string().optional(),
  locale: z.string().optional(),
  consent: consentSchema.optional(),
  /** Traits remembered from the user's identify calls (filled by the runner's spool). */
  traits: jsonObject.optional(),
});

export const eventSchema = z
  .object({
    type: z.enum(eventTypes),
    event: z.string().min(1, 'must not be empty').max(200).optional(),
    name: z.string().max(200).optional(),
    properties: jsonObject.default({}),
    traits: jsonObject.default({}),
    user_id: identifier.optional(),
    anonymous_id: identifier.optional(),
    group_id: identifier.optional(),
    message_id: z
      .string()
      .min(1, 'must not be empty')
      .max(inputLimits.maxMessageIdLength, `must be at most ${inputLimits.maxMessageIdLength} characters`),
    /** When the event happened, corrected for the client's clock skew when it sent `sentAt` (Segment's rule). */
    timestamp: isoTimestamp,
    /** The client's `timestamp` as sent, kept when `timestamp` was corrected for clock skew. */
    original_timestamp: isoTimestamp.optional(),
    received_at: isoTimestamp.optional(),
    context: contextSchema.default({}),
  })
  .superRefine((e, ctx) => {
    if (e.user_id === undefined && e.anonymous_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['user_id'], message: 'one of user_id (userId) or anonymous_id (anonymousId) is required' });
    }
    if (e.type === 'track' && e.event === undefined) {
      ctx.addIssue({ code: 'custom', path: ['event'], message: 'a track call needs an event name' });
    }
    if (e.type === 'group' && e.group_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['group_id'], message: 'a group call needs group_id (groupId)' });
    }
  });

export type SignalEvent = z.output<typeof eventSchema>;
export type EventInput = z.input<typeof eventSchema>;

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `batch.3.properties` or `user_id`. */
  path: string;
  message: string;
}

export type ParseEventResult = { ok: true; event: SignalEvent } | { ok: false; issues: FieldIssue[] };

export interface ParseEventOptions {
  /** Forces the type (e.g. `/v1/track` implies `track`); a conflicting `type` field is an error. */
  type?: EventType;
  /** When the collector received the event; also the default `timestamp`. */
  receivedAt?: Date;
  /** Message id generator for events without one (deterministic in tests). */
  generateId?: () => string;
  /**
   * The request's `sentAt` when it is sent once for several events (the root of a /v1/batch body);
   * an event's own `sentAt` wins.
   */
  sentAt?: unknown;
}

// Maps, not object literals: a key such as "constructor" must not find Object.prototype's.
const camelToSnake = new Map([
  ['userId', 'user_id'],
  ['anonymousId', 'anonymous_id'],
  ['messageId', 'message_id'],
  ['groupId', 'group_id'],
  ['receivedAt', 'received_at'],
]);

const contextCamelToSnake = new Map([['userAgent', 'user_agent']]);

/** Keys a Segment SDK sends that are transport detail, not event data. */
const transportKeys = new Set(['writeKey', 'sentAt', 'integrations', '_metadata', 'channel', 'version', 'originalTimestamp']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Segment's consent shape is `context.consent.categoryPreferences: { Advertising: true }`;
 * Signal's is `context.consent.categories: ['advertising']`. Accept both.
 */
function normaliseConsent(consent: unknown): unknown {
  if (!isPlainObject(consent)) return consent;
  const out: Record<string, unknown> = { ...consent };
  const prefs = consent['categoryPreferences'];
  if (isPlainObject(prefs) && out['categories'] === undefined) {
    out['categories'] = Object.entries(prefs)
      .filter(([, granted]) => granted === true)
      .map(([category]) => category);
    delete out['categoryPreferences'];
  }
  return out;
}

/** Renames Segment camelCase fields to Signal's snake_case ones (snake_case wins if both are present). */
export function normaliseEventInput(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (transportKeys.has(key)) continue;
    const value = input[key];
    const snake = camelToSnake.get(key);
    if (snake !== undefined) {
      if (input[snake] === undefined) out[snake] = value;
    } else {
      out[key] = value;
    }
  }
  if (out['timestamp'] === undefined && typeof input['originalTimestamp'] === 'string') {
    out['timestamp'] = input['originalTimestamp'];
  }
  if (isPlainObject(out['context'])) {
    const ctx: Record<string, unknown> = {};
    const given = out['context'];
    for (const key of Object.keys(given)) {
      const value = given[key];
      const snake = contextCamelToSnake.get(key);
      if (snake !== undefined) {
        if (given[snake] === undefined) ctx[snake] = value;
      } else ctx[key] = value;
    }
    if (ctx['consent'] !== undefined) ctx['consent'] = normaliseConsent(ctx['consent']);
    out['context'] = ctx;
  }
  return out;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): FieldIssue[] {
  return issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    return { path: path === '' ? '(root)' : path, message: issue.message };
  });
}

/** Validates and normalises one incoming event (Segment or Signal spelling). */
export function parseEvent(input: unknown, options: ParseEventOptions = {}): ParseEventResult {
  if (!isPlainObject(input)) return { ok: false, issues: [{ path: '(root)', message: 'an event must be a JSON object' }] };
  const receivedAt = (options.receivedAt ?? new Date()).toISOString();
  const raw = normaliseEventInput(input);
  if (options.type !== undefined) {
    if (raw['type'] !== undefined && raw['type'] !== options.type) {
      // Echo the value only when it is a known type: the reason is logged, and a body value may be anything.
      const got = typeof raw['type'] === 'string' && (eventTypes as readonly string[]).includes(raw['type']) ? `got "${raw['type']}"` : 'got another value';
      return { ok: false, issues: [{ path: 'type', message: `must be "${options.type}" on this endpoint (${got})` }] };
    }
    raw['type'] = options.type;
  }
  if (raw['message_id'] === undefined) raw['message_id'] = (options.generateId ?? randomUUID)();
  if (raw['timestamp'] === undefined) raw['timestamp'] = receivedAt;
  raw['received_at'] = receivedAt;
  let event = checkEventShape(raw);
  if (event === undefined) {
    const result = eventSchema.safeParse(raw);
    if (!result.success) return { ok: false, issues: formatIssues(result.error.issues) };
    event = result.data;
  }
  if (input['timestamp'] !== undefined || input['originalTimestamp'] !== undefined) {
    correctClockSkew(event, input['sentAt'] ?? options.sentAt, receivedAt);
  }
  return { ok: true, event };
}

/*
 * The schema's fast twin. zod builds the same event at ~5x the cost, and at ingest rates the schema
 * pass was the largest share of the collector's CPU. checkEventShape accepts only input the schema
 * accepts and returns what the schema would (same keys, same order, defaults filled); for anything
 * else (an invalid event, or a shape it does not handle) it returns undefined and parseEvent asks
 * the schema, which says what is wrong. test/event-shape.test.ts compares the two on generated input.
 */

const isoPattern: RegExp | undefined = (isoTimestamp._zod as { pattern?: RegExp }).pattern;
const isIso = (v: unknown): v is string => typeof v === 'string' && isoPattern !== undefined && isoPattern.test(v);
const optionalString = (v: unknown, max = Infinity): boolean => v === undefined || (typeof v === 'string' && v.length <= max);

/** An identifier as the schema outputs it (numbers become strings), or undefined when absent; null when invalid. */
function identifierOf(v: unknown): string | undefined | null {
  if (v === undefined) return undefined;
  const text = typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
  return text !== null && text.length >= 1 && text.length <= 400 ? text : null;
}

const contextKeys = new Set(['page', 'ip', 'user_agent', 'locale', 'consent', 'traits']);
const pageKeys = ['url', 'path', 'referrer', 'title', 'search'] as const;
const pageKeySet = new Set<string>(pageKeys);
const categoriesKey = new Set(['categories']);

/** A loose object's output: its known keys in schema order, then the others in input order. */
function copyRest(from: Record<string, unknown>, known: Set<string>, to: Record<string, unknown>): void {
  for (const key in from) if (!known.has(key)) to[key] = from[key];
}

function contextOf(v: unknown): SignalEvent['context'] | undefined {
  if (v === undefined) return {};
  if (!isPlainObject(v)) return undefined;
  const out: Record<string, unknown> = {};
  const page = v['page'];
  if (page !== undefined) {
    if (!isPlainObject(page)) return undefined;
    const p: Record<string, unknown> = {};
    for (const key of pageKeys) {
      const value = page[key];
      if (value === undefined) continue;
      if (typeof value !== 'string') return undefined;
      p[key] = value;
    }
    copyRest(page, pageKeySet, p);
    out['page'] = p;
  }
  for (const key of ['ip', 'user_agent', 'locale'] as const) {
    const value = v[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') return undefined;
    out[key] = value;
  }
  const consent = v['consent'];
  if (consent !== undefined) {
    if (!isPlainObject(consent)) return undefined;
    const categories = consent['categories'] === undefined ? [] : consent['categories'];
    if (!Array.isArray(categories) || !categories.every((c) => typeof c === 'string')) return undefined;
    const c: Record<string, unknown> = { categories };
    copyRest(consent, categoriesKey, c);
    out['consent'] = c;
  }
  const traits = v['traits'];
  if (traits !== undefined) {
    if (!isPlainObject(traits)) return undefined;
    out['traits'] = traits;
  }
  copyRest(v, contextKeys, out);
  return out as SignalEvent['context'];
}

/** The event the schema would output for this (normalised) input, or undefined: ask the schema. */
export function checkEventShape(raw: Record<string, unknown>): SignalEvent | undefined {
  const type = raw['type'];
  if (type !== 'track' && type !== 'page' && type !== 'identify' && type !== 'group') return undefined;
  const out: Record<string, unknown> = { type };
  const name = raw['event'];
  if (name !== undefined) {
    if (typeof name !== 'string' || name.length < 1 || name.length > 200) return undefined;
    out['event'] = name;
  } else if (type === 'track') return undefined;
  if (!optionalString(raw['name'], 200)) return undefined;
  if (raw['name'] !== undefined) out['name'] = raw['name'];
  for (const key of ['properties', 'traits'] as const) {
    const value = raw[key] === undefined ? {} : raw[key];
    if (!isPlainObject(value)) return undefined;
    out[key] = value;
  }
  const userId = identifierOf(raw['user_id']);
  const anonymousId = identifierOf(raw['anonymous_id']);
  const groupId = identifierOf(raw['group_id']);
  if (userId === null || anonymousId === null || groupId === null) return undefined;
  if (userId === undefined && anonymousId === undefined) return undefined;
  if (type === 'group' && groupId === undefined) return undefined;
  if (userId !== undefined) out['user_id'] = userId;
  if (anonymousId !== undefined) out['anonymous_id'] = anonymousId;
  if (groupId !== undefined) out['group_id'] = groupId;
  const messageId = raw['message_id'];
  if (typeof messageId !== 'string' || messageId.length < 1 || messageId.length > inputLimits.maxMessageIdLength) return undefined;
  out['message_id'] = messageId;
  if (!isIso(raw['timestamp'])) return undefined;
  out['timestamp'] = raw['timestamp'];
  for (const key of ['original_timestamp', 'received_at'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (!isIso(value)) return undefined;
    out[key] = value;
  }
  const context = contextOf(raw['context']);
  if (context === undefined) return undefined;
  out['context'] = context;
  return out as SignalEvent;
}

const isoDateTimeStart = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * Segment's clock-skew rule: a client whose clock is off sends `timestamp` and `sentAt` off by
 * the same amount, so `timestamp = receivedAt − (sentAt − timestamp)`. The client's value stays
 * in `original_timestamp`. Without a valid `sentAt` (or with no skew at all) nothing changes.
 */
function correctClockSkew(event: SignalEvent, sentAt: unknown, receivedAt: string): void {
  // sentAt is only used for arithmetic: an ISO-looking date that parses is enough (no schema pass per event).
  if (typeof sentAt !== 'string' || !isoDateTimeStart.test(sentAt)) return;
  const skewMs = Date.parse(sentAt) - Date.parse(receivedAt);
  if (skewMs === 0 || !Number.isFinite(skewMs)) return;
  const corrected = new Date(Date.parse(event.timestamp) - skewMs);
  const year = corrected.getUTCFullYear();
  // Out-of-range results (absurd sentAt values) keep the client's timestamp rather than invent one.
  if (!(year >= 0 && year <= 9999)) return;
  event.original_timestamp = event.timestamp;
  event.timestamp = corrected.toISOString();
}

/** The key that orders an event among its user's events: user_id, else anonymous_id. */
export function userKeyOf(event: Pick<SignalEvent, 'user_id' | 'anonymous_id'>): string {
  return event.user_id ?? event.anonymous_id ?? '';
}

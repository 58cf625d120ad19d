import { z } from 'zod';
import type { SignalEvent } from './event.js';
import { getPath, ownValue } from './paths.js';

/**
 * The mapping engine. A preset is plain data (as in Segment's presets); the
 * user's `mapping:` in config merges over it. Lookup key: the track event name,
 * or the call type for `page`, `identify` and `group`.
 *
 * Every name is just a name: event names and property keys come from users, so
 * a key such as `constructor` or `__proto__` must map, rename and drop like any
 * other. Lookups therefore read own keys only, and results are built with
 * `Object.fromEntries` (which defines own properties, never calls a setter).
 */

/**
 * A record keyed by names from config or events. `z.record` drops an own `__proto__` key
 * (zod guards its own output that way); this keeps it, as data, with the same issue paths.
 */
export function nameRecord<T extends z.ZodType>(value: T, what = 'an object of names to values') {
  return z.unknown().transform((input, ctx): Record<string, z.output<T>> => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      ctx.addIssue({ code: 'custom', message: `must be ${what}` });
      return z.NEVER;
    }
    const entries: [string, z.output<T>][] = [];
    for (const [key, raw] of Object.entries(input)) {
      const parsed = value.safeParse(raw);
      if (parsed.success) entries.push([key, parsed.data]);
      else for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [key, ...issue.path] });
    }
    return Object.fromEntries(entries);
  });
}

const names = nameRecord(z.string(), 'an object of names, e.g. { order_id: "Charged ID" }');

export const eventRuleSchema = z.object({
  /** Vendor event name. */
  to: z.string().min(1),
  /** Vendor fields read from the event by path, e.g. `{ value: "properties.revenue" }`. Properties read here are moved out of the event's data, not copied. */
  fields: names.optional(),
  /** Property renames: `{ order_id: "Charged ID" }`. */
  rename: names.optional(),
  /** Properties left out of the vendor's data. */
  omit: z.array(z.string()).optional(),
  /**
   * Event values copied into the data under these names, e.g. a page's `{ name: "name", url: "context.page.url" }`.
   * A name the data already has keeps its own value; absent paths add nothing.
   */
  include: names.optional(),
  /** Flatten nested objects into dotted keys (`address.city`) instead of sending them nested. */
  flatten: z.boolean().optional(),
});
export type EventRule = z.output<typeof eventRuleSchema>;

export const eventMapEntrySchema = z.union([z.literal('drop'), z.string().min(1), eventRuleSchema]);
export type EventMapEntry = z.output<typeof eventMapEntrySchema>;

export const mappingSchema = z.object({
  events: nameRecord(eventMapEntrySchema, 'an object of event names to "drop", a vendor name or a rule').optional(),
  /** What happens to events the map does not name: `drop` (default) or send them under their own name. */
  unmapped: z.enum(['drop', 'passthrough']).optional(),
  /** Applied to every event before its own rule. */
  properties: z.object({ rename: names.optional(), omit: z.array(z.string()).optional(), flatten: z.boolean().optional() }).optional(),
});
export type Mapping = z.output<typeof mappingSchema>;

export interface Preset extends Mapping {
  description?: string;
}

/** An event after mapping, ready for a plugin's transform. */
export interface MappedEvent {
  event: SignalEvent;
  /** Vendor event name from the rule (for identify: the rule's `to`, e.g. `identify`). */
  name: string;
  /** Values of the rule's `fields`, read from the event (absent paths are left out). */
  fields: Record<string, unknown>;
  /** The event's data (traits for identify, properties otherwise) after omit, rename, include and flatten. */
  properties: Record<string, unknown>;
}

export type MappingOutcome = { action: 'send'; mapped: MappedEvent } | { action: 'drop'; reason: string };

export function mappingKey(event: Pick<SignalEvent, 'type' | 'event'>): string {
  return event.type === 'track' ? (event.event ?? '') : event.type;
}

function toRule(entry: EventMapEntry): EventRule {
  return typeof entry === 'string' ? { to: entry } : entry;
}

/** Own entries of two records, the second's winning, as a new record. */
function mergeRecords<V>(a: Record<string, V> | undefined, b: Record<string, V> | undefined): Record<string, V> {
  return Object.fromEntries([...Object.entries(a ?? {}), ...Object.entries(b ?? {})]);
}

/** Merges a user's mapping over a preset. A plain name over a preset rule renames it and keeps its fields. */
export function mergeMapping(preset: Mapping | undefined, override: Mapping | undefined): Mapping {
  const base = preset ?? {};
  const over = override ?? {};
  const events = new Map<string, EventMapEntry>(Object.entries(base.events ?? {}));
  for (const [key, entry] of Object.entries(over.events ?? {})) {
    const prior = events.get(key);
    if (entry === 'drop' || prior === undefined || prior === 'drop') events.set(key, entry);
    else if (typeof entry === 'string') events.set(key, { ...toRule(prior), to: entry });
    else events.set(key, { ...toRule(prior), ...entry });
  }
  const properties =
    base.properties === undefined && over.properties === undefined
      ? undefined
      : {
          rename: mergeRecords(base.properties?.rename, over.properties?.rename),
          omit: [...(base.properties?.omit ?? []), ...(over.properties?.omit ?? [])],
          flatten: over.properties?.flatten ?? base.properties?.flatten,
        };
  const merged: Mapping = { events: Object.fromEntries(events) };
  const unmapped = over.unmapped ?? base.unmapped;
  if (unmapped !== undefined) merged.unmapped = unmapped;
  if (properties !== undefined) merged.properties = properties;
  return merged;
}

export function flattenObject(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out = new Map<string, unknown>();
  const visit = (v: unknown, key: string): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, inner] of Object.entries(v)) visit(inner, `${key}.${k}`);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, `${key}.${i}`));
    } else {
      out.set(key, v);
    }
  };
  for (const [k, v] of Object.entries(value)) visit(v, prefix === '' ? k : `${prefix}.${k}`);
  return Object.fromEntries(out);
}

/** Applies a (merged) mapping to one event. Pure. */
export function applyMapping(event: SignalEvent, mapping: Mapping): MappingOutcome {
  const key = mappingKey(event);
  const entry = ownValue(mapping.events, key);
  if (entry === 'drop') return { action: 'drop', reason: `"${key}" is mapped to drop` };
  if (entry === undefined && mapping.unmapped !== 'passthrough') {
    return { action: 'drop', reason: `"${key}" is not in the event map (unmapped events are dropped)` };
  }
  const rule = entry === undefined ? { to: key } : toRule(entry);
  const source = event.type === 'identify' ? event.traits : event.properties;

  const fields: [string, unknown][] = [];
  const moved = new Set<string>();
  for (const [field, path] of Object.entries(rule.fields ?? {})) {
    const value = getPath(event, path);
    if (value !== undefined) fields.push([field, value]);
    const [root, prop, ...rest] = path.split('.');
    if ((root === 'properties' || root === 'traits') && prop !== undefined && rest.length === 0) moved.add(prop);
  }

  const omit = new Set([...(mapping.properties?.omit ?? []), ...(rule.omit ?? [])]);
  const rename = mergeRecords(mapping.properties?.rename, rule.rename);
  const data = new Map<string, unknown>();
  for (const [k, v] of Object.entries(source ?? {})) {
    if (moved.has(k) || omit.has(k)) continue;
    data.set(ownValue(rename, k) ?? k, v);
  }
  for (const [name, path] of Object.entries(rule.include ?? {})) {
    const value = getPath(event, path);
    if (value !== undefined && !data.has(name)) data.set(name, value);
  }
  let properties: Record<string, unknown> = Object.fromEntries(data);
  if (rule.flatten ?? mapping.properties?.flatten ?? false) properties = flattenObject(properties);
  return { action: 'send', mapped: { event, name: rule.to, fields: Object.fromEntries(fields), properties } };
}

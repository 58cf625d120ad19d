import { z } from 'zod';
import type { SignalEvent } from './event.js';
import { getPath } from './paths.js';

/**
 * The mapping engine. A preset is plain data (as in Segment's presets); the
 * user's `mapping:` in config merges over it. Lookup key: the track event name,
 * or the call type for `page`, `identify` and `group`.
 */
export const eventRuleSchema = z.object({
  /** Vendor event name. */
  to: z.string().min(1),
  /** Vendor fields read from the event by path, e.g. `{ value: "properties.revenue" }`. Properties read here are moved out of the event's data, not copied. */
  fields: z.record(z.string(), z.string()).optional(),
  /** Property renames: `{ order_id: "Charged ID" }`. */
  rename: z.record(z.string(), z.string()).optional(),
  /** Properties left out of the vendor's data. */
  omit: z.array(z.string()).optional(),
  /** Flatten nested objects into dotted keys (`address.city`) instead of sending them nested. */
  flatten: z.boolean().optional(),
});
export type EventRule = z.output<typeof eventRuleSchema>;

export const eventMapEntrySchema = z.union([z.literal('drop'), z.string().min(1), eventRuleSchema]);
export type EventMapEntry = z.output<typeof eventMapEntrySchema>;

export const mappingSchema = z.object({
  events: z.record(z.string(), eventMapEntrySchema).optional(),
  /** What happens to events the map does not name: `drop` (default) or send them under their own name. */
  unmapped: z.enum(['drop', 'passthrough']).optional(),
  /** Applied to every event before its own rule. */
  properties: z
    .object({ rename: z.record(z.string(), z.string()).optional(), omit: z.array(z.string()).optional(), flatten: z.boolean().optional() })
    .optional(),
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
  /** The event's data (traits for identify, properties otherwise) after omit, rename and flatten. */
  properties: Record<string, unknown>;
}

export type MappingOutcome = { action: 'send'; mapped: MappedEvent } | { action: 'drop'; reason: string };

export function mappingKey(event: Pick<SignalEvent, 'type' | 'event'>): string {
  return event.type === 'track' ? (event.event ?? '') : event.type;
}

function toRule(entry: EventMapEntry): EventRule {
  return typeof entry === 'string' ? { to: entry } : entry;
}

/** Merges a user's mapping over a preset. A plain name over a preset rule renames it and keeps its fields. */
export function mergeMapping(preset: Mapping | undefined, override: Mapping | undefined): Mapping {
  const base = preset ?? {};
  const over = override ?? {};
  const events: Record<string, EventMapEntry> = { ...base.events };
  for (const [key, entry] of Object.entries(over.events ?? {})) {
    const prior = events[key];
    if (entry === 'drop' || prior === undefined || prior === 'drop') events[key] = entry;
    else if (typeof entry === 'string') events[key] = { ...toRule(prior), to: entry };
    else events[key] = { ...toRule(prior), ...entry };
  }
  const properties =
    base.properties === undefined && over.properties === undefined
      ? undefined
      : {
          rename: { ...base.properties?.rename, ...over.properties?.rename },
          omit: [...(base.properties?.omit ?? []), ...(over.properties?.omit ?? [])],
          flatten: over.properties?.flatten ?? base.properties?.flatten,
        };
  const merged: Mapping = { events };
  const unmapped = over.unmapped ?? base.unmapped;
  if (unmapped !== undefined) merged.unmapped = unmapped;
  if (properties !== undefined) merged.properties = properties;
  return merged;
}

export function flattenObject(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flattenObject(v as Record<string, unknown>, key));
    else if (Array.isArray(v)) v.forEach((item, i) => {
      if (item !== null && typeof item === 'object') Object.assign(out, flattenObject(item as Record<string, unknown>, `${key}.${i}`));
      else out[`${key}.${i}`] = item;
    });
    else out[key] = v;
  }
  return out;
}

/** Applies a (merged) mapping to one event. Pure. */
export function applyMapping(event: SignalEvent, mapping: Mapping): MappingOutcome {
  const key = mappingKey(event);
  const entry = mapping.events?.[key];
  if (entry === 'drop') return { action: 'drop', reason: `"${key}" is mapped to drop` };
  if (entry === undefined && mapping.unmapped !== 'passthrough') {
    return { action: 'drop', reason: `"${key}" is not in the event map (unmapped events are dropped)` };
  }
  const rule = entry === undefined ? { to: key } : toRule(entry);
  const source = event.type === 'identify' ? event.traits : event.properties;

  const fields: Record<string, unknown> = {};
  const moved = new Set<string>();
  for (const [field, path] of Object.entries(rule.fields ?? {})) {
    const value = getPath(event, path);
    if (value !== undefined) fields[field] = value;
    const [root, prop, ...rest] = path.split('.');
    if ((root === 'properties' || root === 'traits') && prop !== undefined && rest.length === 0) moved.add(prop);
  }

  const omit = new Set([...(mapping.properties?.omit ?? []), ...(rule.omit ?? [])]);
  const rename = { ...mapping.properties?.rename, ...rule.rename };
  let properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(source)) {
    if (moved.has(k) || omit.has(k)) continue;
    properties[rename[k] ?? k] = v;
  }
  if (rule.flatten ?? mapping.properties?.flatten ?? false) properties = flattenObject(properties);
  return { action: 'send', mapped: { event, name: rule.to, fields, properties } };
}

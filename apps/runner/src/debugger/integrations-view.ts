import type { EventMapEntry, Integration, Mapping } from '@signal/core';
import type { VendorFault } from '../dev/faults.js';
import type { QueueStats } from '../spool/types.js';

/** A configured integration as the debugger shows it. */
export interface DebuggerIntegration {
  /** Settings parsed, mapping merged (preset + overrides), consent, redactor. */
  integration: Integration;
  /** `plugin:` as configured (a package name or a path). */
  plugin: string;
  /** The preset in effect (configured, else the plugin's default). */
  preset: string;
  /** Requests in flight at most (the delivery engine's limit for it). */
  concurrency: number;
  /** The user's own `mapping:`, to tell overrides from preset rules. */
  overrides?: Mapping;
}

/** One row of the effective event map. */
export interface EventMapRow {
  /** Track event name, or the call type (`page`, `identify`, `group`). */
  event: string;
  /** `drop`, or the vendor event it is sent as. */
  to: string;
  fields?: Record<string, string>;
  rename?: Record<string, string>;
  omit?: string[];
  flatten?: boolean;
  /** Where the rule comes from. */
  origin: 'preset' | 'override' | 'preset + override';
}

export interface IntegrationView {
  id: string;
  plugin: string;
  pluginName: string;
  version: string;
  preset: string;
  presetDescription?: string;
  consent: string[];
  concurrency: number;
  queue: { depth: number; oldestAgeMs: number; byState: QueueStats['byState'] };
  /** Why delivery is paused (an auth failure), or null. */
  paused: string | null;
  eventMap: { unmapped: 'drop' | 'passthrough'; properties?: Mapping['properties']; events: EventMapRow[] };
  /** In `signal dev`: the fake vendor behind it and how it answers now. */
  fakeVendor?: { vendor: string; url: string; fault: VendorFault };
}

function row(event: string, entry: EventMapEntry, origin: EventMapRow['origin']): EventMapRow {
  if (typeof entry === 'string') return { event, to: entry, origin };
  return {
    event,
    to: entry.to,
    ...(entry.fields === undefined ? {} : { fields: entry.fields }),
    ...(entry.rename === undefined ? {} : { rename: entry.rename }),
    ...(entry.omit === undefined ? {} : { omit: entry.omit }),
    ...(entry.flatten === undefined ? {} : { flatten: entry.flatten }),
    origin,
  };
}

export function integrationView(
  d: DebuggerIntegration,
  state: { stats?: QueueStats; paused?: string; fakeVendor?: IntegrationView['fakeVendor'] },
): IntegrationView {
  const { integration } = d;
  const { destination, mapping } = integration;
  const presetEvents = destination.presets[d.preset]?.events ?? {};
  const overridden = d.overrides?.events ?? {};
  const events = Object.entries(mapping.events ?? {}).map(([event, entry]) =>
    row(event, entry, !(event in overridden) ? 'preset' : event in presetEvents ? 'preset + override' : 'override'),
  );
  return {
    id: integration.id,
    plugin: d.plugin,
    pluginName: destination.name,
    version: destination.version,
    preset: d.preset,
    ...(destination.presets[d.preset]?.description === undefined ? {} : { presetDescription: destination.presets[d.preset]!.description! }),
    consent: [...integration.consent],
    concurrency: d.concurrency,
    queue: { depth: state.stats?.depth ?? 0, oldestAgeMs: state.stats?.oldestAgeMs ?? 0, byState: state.stats?.byState ?? {} },
    paused: state.paused ?? null,
    eventMap: { unmapped: mapping.unmapped ?? 'drop', ...(mapping.properties === undefined ? {} : { properties: mapping.properties }), events },
    ...(state.fakeVendor === undefined ? {} : { fakeVendor: state.fakeVendor }),
  };
}

import type { Preset } from '@signal/core';

/**
 * A webhook fires for every event unless the user maps some to `drop`, so
 * the one preset passes everything through under its own name.
 */
export const presets: Record<string, Preset> = {
  default: {
    description: 'Every event is sent, under its own name; map an event to "drop" to leave it out',
    events: {},
    unmapped: 'passthrough',
  },
};

export const defaultPreset = 'default';

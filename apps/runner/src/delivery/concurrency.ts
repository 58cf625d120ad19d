import type { Integration } from '@signal/core';

/** Requests in flight at once for an integration: its `concurrency:`, capped at (and by default) the plugin's maxConcurrency. */
export function laneConcurrency(integration: Integration, wanted: number | undefined): number {
  const cap = Math.max(1, integration.limits.maxConcurrency);
  return wanted === undefined ? cap : Math.max(1, Math.min(cap, Math.floor(wanted)));
}

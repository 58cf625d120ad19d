import type { DestinationLimits } from '@signal/core';
import type { LeanplumSettings } from './settings.js';

/**
 * One action per request unless batching is on. Leanplum refuses a multi call
 * with more than 500 actions or 50 distinct users as a whole (HTTP 403), so
 * the batcher never builds one.
 */
export function limitsFor(settings: LeanplumSettings): DestinationLimits {
  return settings.batch
    ? { maxBatchItems: 500, maxDistinctUsers: 50, maxConcurrency: 10, lingerMs: 500 }
    : { maxBatchItems: 1, maxConcurrency: 10 };
}

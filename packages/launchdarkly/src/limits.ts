import type { DestinationLimits } from '@signal/core';

/** LaunchDarkly refuses import bodies of 10 MB or more (read as 10,000,000 bytes, the stricter reading). */
export const MAX_BODY_BYTES = 10_000_000;

const MAX_BATCH_ITEMS = 1000;

/**
 * Core sizes a batch by its records' JSON bytes; the array adds `[`, `]` and one
 * comma per record, so leave room for that (and a little slack) under the cap.
 */
export const limits: DestinationLimits = {
  maxBatchItems: MAX_BATCH_ITEMS,
  maxBatchBytes: MAX_BODY_BYTES - MAX_BATCH_ITEMS - 1024,
  maxConcurrency: 5,
};

/** Bodies larger than this are gzipped (LaunchDarkly accepts Content-Encoding: gzip). */
export const GZIP_THRESHOLD_BYTES = 64 * 1024;

/** The Segment HTTP API limits the collector mirrors (DESIGN.md). */
export const collectorLimits = {
  maxEventBytes: 32 * 1024,
  maxBatchBytes: 500 * 1024,
  maxBatchEvents: 2_500,
} as const;

import type { Logger } from '@signal/core';
import type { RejectedRequest, IngestFeed } from './ingest-feed.js';

export interface RejectionLogOptions {
  /** Lines logged one by one per window; the rest are summed up in one line at the window's end. */
  linesPerWindow?: number;
  windowMs?: number;
}

/**
 * One warn line per refused ingest request (status, reason, path, source, ip, user agent: the
 * feed never carries the write key or the body), at most `linesPerWindow` per window, so a
 * misconfigured SDK retrying thousands of times a second cannot flood the log. Returns the
 * unsubscribe function.
 */
export function logRejections(feed: IngestFeed, logger: Logger, options: RejectionLogOptions = {}): () => void {
  const linesPerWindow = options.linesPerWindow ?? 10;
  const windowMs = options.windowMs ?? 10_000;
  let windowStart = 0;
  let logged = 0;
  let suppressed = 0;
  let byStatus: Record<string, number> = {};
  let summaryTimer: NodeJS.Timeout | undefined;

  const summarise = () => {
    summaryTimer = undefined;
    if (suppressed > 0) {
      logger.warn({ suppressed, byStatus, windowMs }, `${suppressed} more ingest requests were rejected in the last ${windowMs / 1000} s (not logged one by one; the debugger's live view and signal_collector_rejected_requests_total show them all)`);
    }
    suppressed = 0;
    byStatus = {};
  };

  const unsubscribe = feed.on((r: RejectedRequest) => {
    if (r.at - windowStart >= windowMs) {
      if (summaryTimer !== undefined) {
        clearTimeout(summaryTimer);
        summarise();
      }
      windowStart = r.at;
      logged = 0;
    }
    if (logged < linesPerWindow) {
      logged++;
      logger.warn(
        { status: r.status, reason: r.reason, path: r.path, ip: r.ip, ...(r.source === undefined ? {} : { source: r.source }), ...(r.userAgent === undefined ? {} : { userAgent: r.userAgent }) },
        'ingest request rejected',
      );
      return;
    }
    suppressed++;
    byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + 1;
    if (summaryTimer === undefined) {
      summaryTimer = setTimeout(summarise, Math.max(0, windowStart + windowMs - r.at));
      summaryTimer.unref();
    }
  });
  return () => {
    unsubscribe();
    if (summaryTimer !== undefined) clearTimeout(summaryTimer);
    summarise();
  };
}

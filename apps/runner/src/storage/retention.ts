import type { Logger } from '@signal/core';
import type { Spool } from '../spool/types.js';

interface Prunable {
  prune(options: { before: number; limit?: number }): Promise<number>;
}

const everyMs = 10 * 60_000;

/**
 * Keeps the SQLite delivery log bounded: every 10 minutes, finished jobs older
 * than the retention window are removed in pages (open jobs are never touched).
 * Returns a stop function.
 */
export function startRetention(spool: Spool, retentionDays: number, logger: Logger, now: () => number = Date.now): () => void {
  if (typeof (spool as Partial<Prunable>).prune !== 'function') return () => {};
  const prunable = spool as Spool & Prunable;
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      const before = now() - retentionDays * 86_400_000;
      let removed = 0;
      for (let page = await prunable.prune({ before }); page > 0; page = await prunable.prune({ before })) removed += page;
      if (removed > 0) logger.info({ removed, retention_days: retentionDays }, `delivery log: removed ${removed} finished jobs older than ${retentionDays} days`);
    } catch (error) {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'delivery log retention sweep failed; will try again');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), everyMs);
  timer.unref();
  void sweep();
  return () => clearInterval(timer);
}

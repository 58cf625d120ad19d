import type { DeliveryEntry, Spool } from '../spool/types.js';
import type { RedactValue } from './redact-value.js';

/** What the engine reports after each delivery attempt (only the fields the debugger reads). */
export interface AttemptNotice {
  integration: string;
  messageId: string;
  state: string;
  attempts?: number;
  result?: { status: string; [key: string]: unknown };
}

/** A connected page: receives SSE frames; returns false when it can take no more (it is then dropped). */
export type FeedClient = (frame: string) => boolean;

export interface LiveFeed {
  onAttempt(notice: AttemptNotice): void;
  subscribe(client: FeedClient): () => void;
  readonly clients: number;
  close(): void;
}

export interface LiveFeedOptions {
  spool: Spool;
  redact: RedactValue;
  /** Rows looked up per turn. */
  batchSize?: number;
  /** Past this many unsent rows the feed tells pages to reload their list instead. */
  maxPending?: number;
  heartbeatMs?: number;
}

export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Turns engine attempts into list rows for connected pages. Attempts are
 * coalesced per (integration, message) and looked up in the spool only while a
 * page is watching, so a busy engine with no one looking costs nothing, and a
 * burst never queues without bound (pages are told to resync instead).
 */
export function createLiveFeed(options: LiveFeedOptions): LiveFeed {
  const { spool, redact } = options;
  const batchSize = options.batchSize ?? 100;
  const maxPending = options.maxPending ?? 5000;
  const clients = new Set<FeedClient>();
  const pending = new Map<string, AttemptNotice>();
  let overflowed = false;
  let scheduled = false;
  let closed = false;

  const broadcast = (frame: string) => {
    for (const client of clients) if (!client(frame)) clients.delete(client);
  };

  const heartbeat = setInterval(() => broadcast(': ping\n\n'), options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  const rowFor = (notice: AttemptNotice, entries: DeliveryEntry[] | undefined): DeliveryEntry => {
    const known = entries?.find((d) => d.integration === notice.integration);
    if (known !== undefined) {
      const { history: _history, ...entry } = known as DeliveryEntry & { history?: unknown };
      return entry;
    }
    // The spool no longer has it (or failed to answer): show what the engine said.
    const now = Date.now();
    return {
      id: `${notice.integration}:${notice.messageId}`,
      integration: notice.integration,
      messageId: notice.messageId,
      eventType: 'unknown',
      userKey: '',
      state: notice.state as DeliveryEntry['state'],
      attempts: notice.attempts ?? 0,
      createdAt: now,
      updatedAt: now,
      ...(notice.result === undefined ? {} : { lastResult: notice.result as DeliveryEntry['lastResult'] }),
    };
  };

  const flush = async () => {
    try {
      if (overflowed) {
        overflowed = false;
        broadcast(sseFrame('resync', {}));
      }
      const batch = [...pending].slice(0, batchSize);
      for (const [key] of batch) pending.delete(key);
      const byMessage = new Map<string, AttemptNotice[]>();
      for (const [, notice] of batch) byMessage.set(notice.messageId, [...(byMessage.get(notice.messageId) ?? []), notice]);
      for (const [messageId, notices] of byMessage) {
        if (closed || clients.size === 0) return;
        const detail = await spool.event(messageId).catch(() => undefined);
        for (const notice of notices) broadcast(sseFrame('delivery', redact(rowFor(notice, detail?.deliveries))));
      }
    } finally {
      scheduled = false;
      if (!closed && clients.size > 0 && (pending.size > 0 || overflowed)) schedule();
      else if (clients.size === 0) pending.clear();
    }
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  };

  return {
    onAttempt(notice) {
      if (closed || clients.size === 0) return;
      const key = `${notice.integration}\u0000${notice.messageId}`;
      pending.delete(key);
      pending.set(key, notice);
      if (pending.size > maxPending) {
        pending.clear();
        overflowed = true;
      }
      schedule();
    },
    subscribe(client) {
      clients.add(client);
      return () => void clients.delete(client);
    },
    get clients() {
      return clients.size;
    },
    close() {
      closed = true;
      clearInterval(heartbeat);
      pending.clear();
      clients.clear();
    },
  };
}

import type { RejectedRequest } from '../collector/ingest-feed.js';
import type { DeliveryEntry, EventSummary, Spool } from '../spool/types.js';
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
  /** The collector stored events: pages fetch the newest (at most once per `storedFrameMs`), so an event shows before any delivery attempt. */
  onStored(): void;
  /** A refused ingest request: shown live (at most `maxRejectionsPerFrame` per frame; the rest are counted). */
  onRejection(rejection: RejectedRequest): void;
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

/** Rejections go out at most this often, at most `maxRejectionsPerFrame` at a time: a flood of bad requests must not flood the pages. */
const rejectionFrameMs = 250;
const storedFrameMs = 1_000;
const maxRejectionsPerFrame = 20;

export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Turns engine attempts into list rows (one per event, with every integration's state) for
 * connected pages, and tells them of refused ingest requests. Attempts are coalesced per
 * (integration, message) and looked up in the spool only while a page is watching, so a busy
 * engine with no one looking costs nothing, and a burst never queues without bound (pages are
 * told to resync instead).
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
  const rejections: RejectedRequest[] = [];
  let suppressedRejections = 0;
  let rejectionTimer: NodeJS.Timeout | undefined;
  let storedTimer: NodeJS.Timeout | undefined;

  const broadcast = (frame: string) => {
    for (const client of clients) if (!client(frame)) clients.delete(client);
  };

  const flushRejections = () => {
    rejectionTimer = undefined;
    if (closed || rejections.length === 0) return;
    broadcast(sseFrame('rejections', redact({ rejections: rejections.splice(0), suppressed: suppressedRejections })));
    suppressedRejections = 0;
  };

  const heartbeat = setInterval(() => broadcast(': ping\n\n'), options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  /** The event's row as the list shows it; if the spool cannot say (pruned, failing), what the engine said. */
  const rowFor = async (messageId: string, notices: AttemptNotice[]): Promise<EventSummary> => {
    const found = (await spool.findEvents({ messageId, limit: 1 }).catch(() => undefined))?.events[0];
    if (found !== undefined) return found;
    const now = Date.now();
    return {
      messageId,
      source: '',
      type: 'unknown',
      receivedAt: now,
      deliveries: notices.map((notice) => ({
        id: `${notice.integration}:${messageId}`,
        integration: notice.integration,
        messageId,
        eventType: 'unknown',
        userKey: '',
        state: notice.state as DeliveryEntry['state'],
        attempts: notice.attempts ?? 0,
        createdAt: now,
        updatedAt: now,
        ...(notice.result === undefined ? {} : { lastResult: notice.result as DeliveryEntry['lastResult'] }),
      })),
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
        broadcast(sseFrame('event', redact(await rowFor(messageId, notices))));
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
    onStored() {
      if (closed || clients.size === 0 || storedTimer !== undefined) return;
      storedTimer = setTimeout(() => {
        storedTimer = undefined;
        if (!closed) broadcast(sseFrame('stored', {}));
      }, storedFrameMs);
    },
    onRejection(rejection) {
      if (closed || clients.size === 0) return;
      if (rejections.length < maxRejectionsPerFrame) rejections.push(rejection);
      else suppressedRejections++;
      rejectionTimer ??= setTimeout(flushRejections, rejectionFrameMs);
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
      clearTimeout(rejectionTimer);
      clearTimeout(storedTimer);
      pending.clear();
      clients.clear();
    },
  };
}

/**
 * An ingest request the collector refused (400/401/413/415/503), as the log and the debugger's
 * live view see them: "my events never arrived" must have an answer. Never carries the write
 * key or the body.
 */
export interface RejectedRequest {
  /** Epoch ms. */
  at: number;
  status: number;
  /** What was wrong, as the client was told (field paths, limits), e.g. `batch.3.user_id: ...`. */
  reason: string;
  /** Route path, e.g. /v1/batch. */
  path: string;
  /** Source id when the write key was known. */
  source?: string;
  ip: string;
  /** User agent, to tell SDKs apart. */
  userAgent?: string;
}

export type RejectionListener = (rejection: RejectedRequest) => void;

/**
 * What happened to ingest requests, fanned out to listeners: refusals (the rate-limited log
 * line, the debugger's live feed) and stores (the debugger's pages fetch the newest events).
 */
export class IngestFeed {
  private readonly listeners = new Set<RejectionListener>();
  private readonly storedListeners = new Set<() => void>();

  /** Listens to refusals. */
  on(listener: RejectionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(rejection: RejectedRequest): void {
    callEach(this.listeners, (listener) => listener(rejection));
  }

  /** Listens to accepted requests that stored events (any number of them, duplicates included). */
  onStored(listener: () => void): () => void {
    this.storedListeners.add(listener);
    return () => this.storedListeners.delete(listener);
  }

  emitStored(): void {
    callEach(this.storedListeners, (listener) => listener());
  }
}

function callEach<L>(listeners: Set<L>, call: (listener: L) => void): void {
  for (const listener of listeners) {
    try {
      call(listener);
    } catch {
      // A listener's failure must not change the client's answer.
    }
  }
}

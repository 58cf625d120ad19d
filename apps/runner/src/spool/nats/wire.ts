import { createInbox, headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { NatsSpoolError } from './errors.js';

/**
 * The two JetStream requests the spool makes per event and per job — publish
 * with PubAck, and direct get — sent over one wildcard reply subscription.
 *
 * Why not `js.publish` / `jsm.direct.getMessage`: the client's request object
 * rejects its already-settled promise with a fresh `RequestError` (an Error with
 * a captured stack) on every completed request, even with `noAsyncTraces`; on
 * ingest that was ~20% of the runner's CPU (bench --cpu-prof). Requests here
 * are plain map entries resolved by the reply.
 */
export class JetStreamApiFailure extends NatsSpoolError {
  constructor(
    /** JetStream's `err_code` (e.g. 10071 wrong last sequence); what `apiErrorCode` reads. */
    readonly code: number,
    description: string,
  ) {
    super(description);
  }
}

export interface PubAck {
  seq: number;
  duplicate: boolean;
}

export interface PublishOptions {
  /** Nats-Msg-Id: dedupe inside the stream's duplicate window. */
  msgID?: string;
  /** Nats-Expected-Last-Subject-Sequence (0: no message on the subject yet). */
  lastSubjectSequence?: number;
  /** Further headers (values must be header-safe: no CR/LF). */
  headers?: Record<string, string>;
}

export interface StoredMsg {
  seq: number;
  subject: string;
  data: Uint8Array;
  json<T>(): T;
}

interface Waiting {
  resolve(m: Msg): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

export class Wire {
  private readonly prefix = createInbox();
  private readonly waiting = new Map<string, Waiting>();
  private next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 10_000,
  ) {
    nc.subscribe(`${this.prefix}.*`, {
      callback: (_err, m) => {
        const w = this.waiting.get(m.subject);
        if (w === undefined) return;
        this.waiting.delete(m.subject);
        clearTimeout(w.timer);
        w.resolve(m);
      },
    });
  }

  private request(subject: string, data: string | Uint8Array, options: PublishOptions = {}): Promise<Msg> {
    const reply = `${this.prefix}.${(this.next++).toString(36)}`;
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(reply);
        reject(new NatsSpoolError(`no reply from JetStream to ${subject} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.set(reply, { resolve, reject, timer });
      try {
        let h;
        if (options.msgID !== undefined || options.lastSubjectSequence !== undefined || options.headers !== undefined) {
          h = natsHeaders();
          if (options.msgID !== undefined) h.set('Nats-Msg-Id', options.msgID);
          if (options.lastSubjectSequence !== undefined) h.set('Nats-Expected-Last-Subject-Sequence', String(options.lastSubjectSequence));
          for (const [k, v] of Object.entries(options.headers ?? {})) h.set(k, v);
        }
        this.nc.publish(subject, data, h === undefined ? { reply } : { reply, headers: h });
      } catch (error) {
        clearTimeout(timer);
        this.waiting.delete(reply);
        reject(new NatsSpoolError(`cannot send to ${subject}`, error));
      }
    });
  }

  /** Fails what is still waiting (the connection is closing). */
  dispose(): void {
    for (const [reply, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new NatsSpoolError('the NATS connection was closed before JetStream replied'));
      this.waiting.delete(reply);
    }
  }

  /** Publishes to a stream and resolves with its PubAck (the message is stored). */
  async publish(subject: string, data: string | Uint8Array, options: PublishOptions = {}): Promise<PubAck> {
    const m = await this.request(subject, data, options);
    if (m.headers?.code === 503) throw new JetStreamApiFailure(0, `no stream listens on ${subject}`);
    const ack = m.json<{ seq?: number; duplicate?: boolean; error?: { err_code?: number; description?: string } }>();
    if (ack.error !== undefined || ack.seq === undefined) {
      throw new JetStreamApiFailure(ack.error?.err_code ?? 0, ack.error?.description ?? `publish to ${subject} failed`);
    }
    return { seq: ack.seq, duplicate: ack.duplicate === true };
  }

  /**
   * Direct get: the last message on a subject (wildcards allowed), the first at or after `seq` on one,
   * or the message at `seq`. Null when there is none.
   */
  async get(stream: string, query: { last_by_subj: string } | { next_by_subj: string; seq: number } | { seq: number }): Promise<StoredMsg | null> {
    const m =
      'last_by_subj' in query && !query.last_by_subj.includes('*') && !query.last_by_subj.includes('>')
        ? await this.request(`$JS.API.DIRECT.GET.${stream}.${query.last_by_subj}`, new Uint8Array(0))
        : await this.request(`$JS.API.DIRECT.GET.${stream}`, JSON.stringify(query));
    const code = m.headers?.code ?? 0;
    if (code === 404) return null;
    if (code !== 0) throw new JetStreamApiFailure(0, `direct get from ${stream} failed: ${code} ${m.headers?.description ?? ''}`);
    const seq = Number(m.headers?.get('Nats-Sequence'));
    return { seq, subject: m.headers?.get('Nats-Subject') ?? '', data: m.data, json: <T>() => m.json<T>() };
  }
}

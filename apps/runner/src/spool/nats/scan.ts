import { AckPolicy, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { pullNow, type LeasedMessage } from './pull.js';

export interface ScanOptions {
  filter: string;
  /** All messages (default), or only the last one per subject. */
  lastPerSubject?: boolean;
  /** First stream sequence to read (default: the start of the stream). */
  fromSeq?: number;
  /** Stop after this stream sequence. */
  toSeq?: number;
  /** Headers only (the server sends no payloads). */
  headersOnly?: boolean;
}

export type ScannedMessage = Pick<LeasedMessage, 'subject' | 'data' | 'headers' | 'seq' | 'storedAt'>;

/**
 * Reads messages of a stream in order through a short-lived consumer (memory
 * storage, no acks), page by page; `visit` sees each page. For the slow paths:
 * the delivery log listing, replays, and rebuilding the dedupe window on start.
 */
export async function scanStream(nc: NatsConnection, jsm: JetStreamManager, stream: string, options: ScanOptions, visit: (page: ScannedMessage[]) => void | Promise<void>): Promise<void> {
  const start = options.fromSeq !== undefined && options.fromSeq > 1 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.fromSeq } : { deliver_policy: options.lastPerSubject ? DeliverPolicy.LastPerSubject : DeliverPolicy.All };
  const info = await jsm.consumers.add(stream, {
    filter_subject: options.filter,
    ...start,
    ack_policy: AckPolicy.None,
    inactive_threshold: 30_000_000_000,
    mem_storage: true,
    ...(options.headersOnly ? { headers_only: true } : {}),
  });
  try {
    let remaining = info.num_pending;
    while (remaining > 0) {
      const page = await pullNow(nc, stream, info.name, Math.min(remaining, 500));
      if (page.length === 0) break;
      remaining -= page.length;
      const kept = options.toSeq === undefined ? page : page.filter((m) => m.seq <= options.toSeq!);
      if (kept.length > 0) await visit(kept);
      if (kept.length < page.length) break;
    }
  } finally {
    await jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
}

/** Every message of a scan, decoded as JSON. */
export async function scanJson<T>(nc: NatsConnection, jsm: JetStreamManager, stream: string, options: ScanOptions): Promise<{ subject: string; value: T; seq: number }[]> {
  const out: { subject: string; value: T; seq: number }[] = [];
  await scanStream(nc, jsm, stream, options, (page) => {
    for (const m of page) out.push({ subject: m.subject, value: JSON.parse(Buffer.from(m.data).toString('utf8')) as T, seq: m.seq });
  });
  return out;
}

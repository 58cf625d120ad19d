import { randomBytes } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openNatsSpool, type NatsSpoolOptions } from '../../src/spool/nats.js';
import { streamNames } from '../../src/spool/nats/names.js';
import { deleteStreams } from '../../src/spool/nats/streams.js';

/**
 * NATS for tests: NATS_URL or 127.0.0.1:4222. Unreachable → the suite fails
 * under CI=true (a skipped scale-out suite must not pass CI silently) and is
 * skipped with a printed reason elsewhere.
 */
export const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

async function probe(): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: natsUrl, timeout: 2_000, reconnect: false });
    try {
      await (await jetstreamManager(nc)).getAccountInfo();
    } finally {
      await nc.close();
    }
    return undefined;
  } catch (error) {
    return `NATS JetStream not reachable at ${natsUrl} (${error instanceof Error ? error.message : String(error)})`;
  }
}

const reason = await probe();
if (reason !== undefined) {
  if (process.env['CI'] === 'true') throw new Error(`${reason}; CI=true requires it (start nats-server -js or set NATS_URL)`);
  console.warn(`skipping JetStream spool tests: ${reason}`);
}
export const natsMissing = reason !== undefined;

/** A private deployment per test: random stream prefix, oracle connection, cleanup. */
export interface Sandbox {
  prefix: string;
  names: ReturnType<typeof streamNames>;
  /** The oracle: a separate connection that inspects streams directly. */
  jsm: JetStreamManager;
  nc: NatsConnection;
  open(extra?: Partial<NatsSpoolOptions>): ReturnType<typeof openNatsSpool>;
  dispose(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
  const prefix = `T${randomBytes(5).toString('hex')}`;
  const names = streamNames(prefix);
  const nc = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(nc);
  const opened: { close(): Promise<void> }[] = [];
  return {
    prefix,
    names,
    jsm,
    nc,
    async open(extra = {}) {
      const spool = await openNatsSpool({ servers: [natsUrl], stream_prefix: prefix, ...extra });
      opened.push(spool);
      return spool;
    },
    async dispose() {
      await Promise.allSettled(opened.map((s) => s.close()));
      await deleteStreams(jsm, names);
      await nc.close();
    },
  };
}

/** Messages currently stored on one subject of a stream (the oracle's count). */
export async function countOn(jsm: JetStreamManager, stream: string, subject: string): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

/** Jobs in WORK chunks on a subject filter (each chunk's subject ends with its job count). */
export async function jobsOn(jsm: JetStreamManager, stream: string, filter: string): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  return Object.entries(info.state.subjects ?? {}).reduce((sum, [subject, n]) => sum + Number(subject.split('.').pop()) * n, 0);
}

/** Every delivery-log record under a subject filter, in stream order (the oracle's reading of LOG). */
export async function logRecords(jsm: JetStreamManager, stream: string, filter: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let seq = 1; ; ) {
    const m = await jsm.direct.getMessage(stream, { next_by_subj: filter, seq }).catch(() => null);
    if (m === null) break;
    out.push(...m.json<{ records: Record<string, unknown>[] }>().records);
    seq = m.seq + 1;
  }
  return out;
}

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Spool } from './types.js';
import { NatsSpoolError } from './nats/errors.js';
import { streamNames } from './nats/names.js';
import { NatsSpool } from './nats/spool.js';
import { ensureStreams } from './nats/streams.js';

export { NatsSpoolError } from './nats/errors.js';
export type { NatsSpool } from './nats/spool.js';

/** `storage: { driver: nats, ... }` in signal.config.yaml, as the runner passes it here. */
export interface NatsSpoolOptions {
  servers: string[];
  /** Prefix of every stream (`SIGNAL_WORK`, …) and subject (`SIGNAL.work.…`); one per deployment. Default SIGNAL. */
  stream_prefix?: string;
  /** Nats-Msg-Id window of the retry queue and dead letters (a runner repeating a step after a crash). Default 2 minutes (JetStream's default). */
  duplicate_window_ms?: number;
  /** A message_id accepted this long ago (per source) is still refused as a duplicate. Default 24 hours (Segment's look-back). */
  dedupe_window_ms?: number;
  /** At most this many message ids are remembered for dedupe, by every runner (32 bytes each). Default 1,000,000. */
  dedupe_max_ids?: number;
  /** Stream replicas: 1 on one server, 3 on a 3-node cluster. Default 1. */
  replicas?: number;
  /** Connection name shown by `nats server report connections`. */
  name?: string;
  /** How long a job held behind its user's retrying job waits before it is looked at again. Default 1000. */
  hold_recheck_ms?: number;
  /** Leased-but-unacked messages per consumer: chunks of jobs, and retry-queue jobs including those waiting out a retry delay. Default 100000. */
  max_ack_pending?: number;
  /** Give unfinished claims back on close (default) instead of waiting for their lease to expire. */
  release_on_close?: boolean;
}

/** Opens the JetStream spool: connects, and creates or updates the streams (idempotent, so every runner does it). */
export async function openNatsSpool(options: NatsSpoolOptions): Promise<NatsSpool & Spool> {
  const names = streamNames(options.stream_prefix ?? 'SIGNAL');
  let nc;
  try {
    // noAsyncTraces: otherwise the client builds two Error objects (stack traces) per request; they were a third of the CPU.
    nc = await connect({ servers: options.servers, name: options.name ?? 'signal-runner', maxReconnectAttempts: -1, noAsyncTraces: true });
  } catch (error) {
    throw new NatsSpoolError(`cannot connect to NATS at ${options.servers.join(', ')}`, error);
  }
  try {
    await ensureStreams(await jetstreamManager(nc), names, {
      duplicateWindowMs: options.duplicate_window_ms ?? 120_000,
      replicas: options.replicas ?? 1,
    });
    return await NatsSpool.create(nc, names, {
      windowMs: options.dedupe_window_ms ?? 86_400_000,
      maxIds: options.dedupe_max_ids ?? 1_000_000,
      holdRecheckMs: options.hold_recheck_ms ?? 1_000,
      maxAckPending: options.max_ack_pending ?? 100_000,
      releaseOnClose: options.release_on_close ?? true,
    });
  } catch (error) {
    await nc.close();
    throw error instanceof NatsSpoolError ? error : new NatsSpoolError('JetStream is not usable (is the server started with -js?)', error);
  }
}

import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { apiErrorCode, NatsSpoolError } from './errors.js';
import type { Names } from './names.js';

export interface StreamSettings {
  /** JetStream's duplicate window for Nats-Msg-Id dedupe on ingest and republish. */
  duplicateWindowMs: number;
  /** 1 on a single server; 3 on a 3-node cluster (see docs/scale-out.md). */
  replicas: number;
}

const streamNotFound = 10059;

/** The eight streams of one Signal deployment; creating them is idempotent, so every runner does it on start. */
export function streamConfigs(names: Names, settings: StreamSettings): (Partial<StreamConfig> & { name: string })[] {
  // allow_direct everywhere: reads by subject (direct get) without going through the stream leader.
  // discard New: a stream at its limits (set by an operator, or the server's storage) refuses new
  // messages, and ingest answers 503, rather than silently dropping accepted events or jobs.
  const common = { storage: StorageType.File, num_replicas: settings.replicas, discard: DiscardPolicy.New, allow_direct: true };
  const dedupe = { duplicate_window: nanos(settings.duplicateWindowMs) };
  const lastValue = { max_msgs_per_subject: 1 };
  const p = names.prefix;
  return [
    // Accepted events, one per message_id for ever: ingest dedupe beyond the duplicate window.
    { ...common, ...dedupe, ...lastValue, name: names.streams.events, subjects: [`${p}.event.>`] },
    // One message per due job; a work queue, so an ack removes it. Subject per integration, one durable consumer each.
    { ...common, ...dedupe, name: names.streams.work, subjects: [`${p}.work.>`], retention: RetentionPolicy.Workqueue },
    // Dead letters, kept until replayed.
    { ...common, ...dedupe, name: names.streams.dead, subjects: [`${p}.dead.>`] },
    // The delivery log: one record per (integration, message_id) with its attempt history.
    { ...common, ...lastValue, name: names.streams.log, subjects: [`${p}.log.>`] },
    // Per (integration, user): the job whose retry holds that user's later jobs back.
    { ...common, ...lastValue, name: names.streams.hold, subjects: [`${p}.hold.>`] },
    // Per user key (user_id and anonymous_id): merged identify traits.
    { ...common, ...lastValue, name: names.streams.traits, subjects: [`${p}.traits.>`] },
    // Per (integration, state): one empty message per job in a retry or final state, so stats() counts without scanning the log.
    { ...common, name: names.streams.tally, subjects: [`${p}.tally.>`] },
    // One message per delivered batch: its redacted request/response, referenced by id from the log entries of its jobs.
    // Evidence only, so at its limits the oldest go (discard Old).
    { ...common, discard: DiscardPolicy.Old, name: names.streams.exchange, subjects: [`${p}.exchange.>`] },
  ];
}

export async function ensureStreams(jsm: JetStreamManager, names: Names, settings: StreamSettings): Promise<void> {
  for (const config of streamConfigs(names, settings)) {
    const name = config.name;
    try {
      const info = await jsm.streams.info(name);
      // Over the existing config: settings an operator added (max_age, limits) stay.
      await jsm.streams.update(name, { ...info.config, ...config });
    } catch (error) {
      if (apiErrorCode(error) !== streamNotFound) throw new NatsSpoolError(`stream ${name} cannot be set up`, error);
      try {
        await jsm.streams.add(config);
      } catch (addError) {
        // Another runner may have created it between our info and add.
        if ((await jsm.streams.info(name).catch(() => undefined)) === undefined) throw new NatsSpoolError(`stream ${name} cannot be created`, addError);
      }
    }
  }
}

/** Deletes every stream of a prefix (tests, and `signal` tooling for a fresh start). */
export async function deleteStreams(jsm: JetStreamManager, names: Names): Promise<void> {
  for (const name of Object.values(names.streams)) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
}

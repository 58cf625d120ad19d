import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { apiErrorCode, NatsSpoolError } from './errors.js';
import type { Names } from './names.js';

export interface StreamSettings {
  /** JetStream's Nats-Msg-Id window, for republishing retries and dead letters exactly once. */
  duplicateWindowMs: number;
  /** 1 on a single server; 3 on a 3-node cluster (see docs/scale-out.md). */
  replicas: number;
}

const streamNotFound = 10059;

/** The streams of one Signal deployment; creating them is idempotent, so every runner does it on start. */
export function streamConfigs(names: Names, settings: StreamSettings): (Partial<StreamConfig> & { name: string })[] {
  // allow_direct everywhere: reads by subject or sequence (direct get) without going through the stream leader.
  // discard New: a stream at its limits (set by an operator, or the server's storage) refuses new
  // messages, and ingest answers 503, rather than silently dropping accepted events or jobs.
  const common = { storage: StorageType.File, num_replicas: settings.replicas, discard: DiscardPolicy.New, allow_direct: true };
  const dedupe = { duplicate_window: nanos(settings.duplicateWindowMs) };
  const lastValue = { max_msgs_per_subject: 1 };
  const p = names.prefix;
  return [
    // Accepted events, one message per commit (a group of appends), with the hashes of their ids in a header.
    { ...common, name: names.streams.events, subjects: [names.events] },
    // Jobs, one message ("chunk") per (commit, integration). A work queue: the ack of a chunk whose jobs are all recorded removes it.
    { ...common, name: names.streams.work, subjects: [`${p}.work.>`], retention: RetentionPolicy.Workqueue },
    // One message per job waiting to retry, or given back, or replayed. Also a work queue.
    { ...common, ...dedupe, name: names.streams.retry, subjects: [`${p}.retry.>`], retention: RetentionPolicy.Workqueue },
    // Dead letters, one per job, kept until replayed.
    { ...common, ...dedupe, name: names.streams.dead, subjects: [`${p}.dead.>`] },
    // The delivery log: per (integration, commit), one message per recorded batch of that commit's jobs.
    { ...common, name: names.streams.log, subjects: [`${p}.log.>`] },
    // Per (integration, user): the job whose retry holds that user's later jobs back.
    { ...common, ...lastValue, name: names.streams.hold, subjects: [`${p}.hold.>`] },
    // Per user key (user_id and anonymous_id): merged identify traits.
    { ...common, ...lastValue, name: names.streams.traits, subjects: [`${p}.traits.>`] },
    // Per recorded batch and final state, one empty message whose subject says how many jobs (stats() counts without scanning).
    { ...common, name: names.streams.tally, subjects: [`${p}.tally.>`] },
    // One message per delivered batch: its redacted request/response, referenced by id from the log records of its jobs.
    // Evidence only, so at its limits the oldest go (discard Old).
    { ...common, discard: DiscardPolicy.Old, name: names.streams.exchange, subjects: [`${p}.exchange.>`] },
  ];
}

export async function ensureStreams(jsm: JetStreamManager, names: Names, settings: StreamSettings): Promise<void> {
  await refuseEarlierLayout(jsm, names);
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

/**
 * Streams written by @signal/runner before the batch layout (one message per event and per job)
 * cannot be read by this version; starting on them would strand their jobs, so say so instead.
 */
async function refuseEarlierLayout(jsm: JetStreamManager, names: Names): Promise<void> {
  const events = await jsm.streams.info(names.streams.events).catch(() => undefined);
  if (events !== undefined && !events.config.subjects.includes(names.events)) {
    throw new NatsSpoolError(
      `the streams with stream_prefix "${names.prefix}" were written by an earlier version of the runner (one message per event). ` +
        `Deliver what they hold with that version, or start this one with a new stream_prefix (see docs/scale-out.md, "Upgrading")`,
    );
  }
}

/** Deletes every stream of a prefix (tests, and `signal` tooling for a fresh start). */
export async function deleteStreams(jsm: JetStreamManager, names: Names): Promise<void> {
  for (const name of Object.values(names.streams)) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
}

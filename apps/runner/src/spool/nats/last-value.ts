import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { apiErrorCode, NatsSpoolError, wrongLastSequence } from './errors.js';
import { scanJson } from './scan.js';
import type { Wire } from './wire.js';

/**
 * A key-value store on a plain stream with `max_msgs_per_subject: 1` (what a
 * NATS KV bucket is underneath; `@nats-io/kv` is not a dependency): the subject
 * is the key, direct get reads the latest value, and writes compare-and-set on
 * the subject's last sequence so two runners never lose each other's update.
 */
export interface Versioned<T> {
  value: T;
  seq: number;
}

export class LastValueStore {
  constructor(
    private readonly nc: NatsConnection,
    private readonly wire: Wire,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
  ) {}

  async get<T>(subject: string): Promise<Versioned<T> | undefined> {
    const m = await this.wire.get(this.stream, { last_by_subj: subject });
    if (m === null || m.data.length === 0) return undefined;
    return { value: m.json<T>(), seq: m.seq };
  }

  /** Writes only if the subject is still at `expectSeq` (0: absent). Returns false on a conflict. */
  async put(subject: string, value: unknown, expectSeq: number): Promise<boolean> {
    try {
      await this.wire.publish(subject, JSON.stringify(value), { lastSubjectSequence: expectSeq });
      return true;
    } catch (error) {
      if (apiErrorCode(error) === wrongLastSequence) return false;
      throw new NatsSpoolError(`write to ${this.stream} failed`, error);
    }
  }

  /** Read-modify-write with retries on conflicts. `change` returns undefined to leave the value as is. */
  async update<T>(subject: string, change: (current: T | undefined) => T | undefined): Promise<T | undefined> {
    for (let i = 0; i < 20; i++) {
      const current = await this.get<T>(subject);
      const next = change(current?.value);
      if (next === undefined) return current?.value;
      if (await this.put(subject, next, current?.seq ?? 0)) return next;
    }
    throw new NatsSpoolError(`gave up updating ${subject} after 20 conflicting writes`);
  }

  async delete(subject: string): Promise<void> {
    await this.jsm.streams.purge(this.stream, { filter: subject });
  }

  /** Every current value under a subject filter (the last message per subject). */
  async scan<T>(filter: string): Promise<{ subject: string; value: T }[]> {
    return scanJson<T>(this.nc, this.jsm, this.stream, { filter, lastPerSubject: true });
  }
}

import type { NatsConnection } from '@nats-io/transport-node';
import type { SignalEvent } from '@signal/core';
import { applyTraitsMemory, mergeRemembered, traitKeys, type Traits } from '../traits.js';
import type { LastValueStore } from './last-value.js';
import type { Names } from './names.js';
import { untoken } from './names.js';
import { StreamTail } from './tail.js';
import type { Wire } from './wire.js';

/** Keys (user_id / anonymous_id) whose traits (or their absence) a runner keeps in memory. */
const cachedKeys = 50_000;
/** How long an append waits for this runner's view of TRAITS to catch up before it reads every key from the server. */
const catchUpMs = 2_000;
/** How long a runner whose view fell behind reads traits from the server before it waits for its view again. */
const bypassMs = 10_000;

interface Cached {
  traits: Traits | undefined;
  /** TRAITS sequence of the value (0: none stored). */
  seq: number;
}

/**
 * Identify-traits memory on a last-value stream, with the rules shared by every
 * driver (../traits.ts): remembered under user_id and anonymous_id, copied into
 * later events' `context.traits`, the event's own values winning.
 *
 * Reading every key of every append from the server was one request per event.
 * Instead each runner keeps the values (and absences) of recently seen keys,
 * kept current by following the TRAITS stream; before an append uses them it
 * checks TRAITS' last sequence (one request per commit) and waits until it has
 * seen that far, so an identify another runner accepted is never missed.
 */
export class TraitsMemory {
  private readonly cache = new Map<string, Cached>();
  private tail: StreamTail | undefined;
  private bypassUntil = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly wire: Wire,
    private readonly store: LastValueStore,
    private readonly names: Names,
  ) {}

  async start(): Promise<void> {
    const last = await this.lastSeq();
    this.tail = new StreamTail(this.nc, this.names.streams.traits, this.names.traitsFilter, last, (m) => {
      const key = untoken(m.subject.slice(this.names.traitsFilter.length - 1));
      // Only keys this runner already holds: the cache stays the size it is.
      if (!this.cache.has(key)) return;
      this.set(key, { traits: m.data.length === 0 ? undefined : m.json<Traits>(), seq: m.seq });
    });
    this.tail.start();
  }

  async stop(): Promise<void> {
    await this.tail?.stop();
  }

  /**
   * Whether this runner has seen TRAITS up to `seq`, waiting for it briefly. A follower that fell
   * behind (server restarting, consumer recreated) is not waited for again for a while: keys are
   * read from the server instead, one request each, as they were before the cache.
   */
  private async caughtUp(seq: number): Promise<boolean> {
    if (this.tail === undefined || Date.now() < this.bypassUntil) return this.tail !== undefined && this.tail.seen >= seq;
    if (await this.tail.reached(seq, catchUpMs)) return true;
    this.bypassUntil = Date.now() + bypassMs;
    return false;
  }

  private async lastSeq(): Promise<number> {
    return (await this.wire.get(this.names.streams.traits, { last_by_subj: this.names.traitsFilter }))?.seq ?? 0;
  }

  private set(key: string, value: Cached): void {
    const old = this.cache.get(key);
    if (old !== undefined && old.seq > value.seq) return;
    this.cache.delete(key);
    this.cache.set(key, value);
    if (this.cache.size > cachedKeys) this.cache.delete(this.cache.keys().next().value!);
  }

  /**
   * The events of one commit, in order, as they will be stored. Reads each key once,
   * then walks the events so an identify reaches the same user's later events in the commit.
   */
  async prepare(events: readonly SignalEvent[]): Promise<{ event: SignalEvent; remember?: { keys: string[]; traits: Traits } }[]> {
    const keys = [...new Set(events.flatMap((e) => traitKeys(e)))];
    const known = new Map<string, Traits>();
    if (keys.length > 0) {
      const fetch = async (key: string) => {
        const stored = await this.store.get<Traits>(this.names.traits(key));
        const found = { traits: stored?.value, seq: stored?.seq ?? 0 };
        this.set(key, found);
        return found;
      };
      // Keys not in memory are read while TRAITS' last sequence is asked for (one round trip for both).
      const cached = keys.filter((k) => this.cache.has(k));
      const missing = keys.filter((k) => !this.cache.has(k));
      const [last, ...fetched] = await Promise.all([cached.length > 0 ? this.lastSeq() : Promise.resolve(0), ...missing.map(fetch)]);
      missing.forEach((key, k) => {
        if (fetched[k]!.traits !== undefined) known.set(key, fetched[k]!.traits!);
      });
      const current = await this.caughtUp(last as number);
      await Promise.all(
        cached.map(async (key) => {
          let found = current ? this.cache.get(key) : undefined;
          if (found === undefined) found = await fetch(key);
          else this.set(key, found); // most recently used
          if (found.traits !== undefined) known.set(key, found.traits);
        }),
      );
    }
    return events.map((event) => {
      const eventKeys = traitKeys(event);
      const applied = applyTraitsMemory(event, mergeRemembered(eventKeys.map((k) => known.get(k))));
      if (applied.remember === undefined) return { event: applied.event };
      for (const key of eventKeys) {
        known.set(key, { ...known.get(key), ...applied.remember });
        // The next commit may be prepared before this one is stored and remembered: it sees these traits already.
        this.remembered(key, known.get(key)!);
      }
      return { event: applied.event, remember: { keys: eventKeys, traits: applied.remember } };
    });
  }

  /** A value this runner wrote (or is writing); the stream's copy, with its sequence, replaces it when it arrives. */
  private remembered(key: string, traits: Traits): void {
    const seq = this.cache.get(key)?.seq ?? 0;
    this.cache.delete(key);
    this.cache.set(key, { traits, seq });
  }

  /** Stores what an accepted identify taught us; merges with writes other runners made meanwhile. */
  async remember(memory: { keys: string[]; traits: Traits }): Promise<void> {
    for (const key of memory.keys) {
      const merged = await this.store.update<Traits>(this.names.traits(key), (current) => ({ ...(current ?? {}), ...memory.traits }));
      if (merged !== undefined) this.remembered(key, merged);
    }
  }
}

import type { SignalEvent } from '@signal/core';
import { applyTraitsMemory, mergeRemembered, traitKeys, type Traits } from '../traits.js';
import type { LastValueStore } from './last-value.js';
import type { Names } from './names.js';

/**
 * Identify-traits memory on a last-value stream, with the rules shared by every
 * driver (../traits.ts): remembered under user_id and anonymous_id, copied into
 * later events' `context.traits`, the event's own values winning.
 */
export class TraitsMemory {
  constructor(
    private readonly store: LastValueStore,
    private readonly names: Names,
  ) {}

  /**
   * The events of one append, in order, as they will be stored. Reads each key once,
   * then walks the events so an identify reaches the same user's later events in the call.
   */
  async prepare(events: readonly SignalEvent[]): Promise<{ event: SignalEvent; remember?: { keys: string[]; traits: Traits } }[]> {
    const keys = [...new Set(events.flatMap((e) => traitKeys(e)))];
    const known = new Map<string, Traits>();
    await Promise.all(
      keys.map(async (key) => {
        const found = await this.store.get<Traits>(this.names.traits(key));
        if (found !== undefined) known.set(key, found.value);
      }),
    );
    return events.map((event) => {
      const eventKeys = traitKeys(event);
      const applied = applyTraitsMemory(event, mergeRemembered(eventKeys.map((k) => known.get(k))));
      if (applied.remember === undefined) return { event: applied.event };
      for (const key of eventKeys) known.set(key, { ...known.get(key), ...applied.remember });
      return { event: applied.event, remember: { keys: eventKeys, traits: applied.remember } };
    });
  }

  /** Stores what an accepted identify taught us; merges with writes other runners made meanwhile. */
  async remember(memory: { keys: string[]; traits: Traits }): Promise<void> {
    for (const key of memory.keys) {
      await this.store.update<Traits>(this.names.traits(key), (current) => ({ ...(current ?? {}), ...memory.traits }));
    }
  }
}

import { userKeyOf, type SignalEvent } from '@signal/core';
import type { LastValueStore } from './last-value.js';
import type { Names } from './names.js';

type Traits = Record<string, unknown>;

function isObject(v: unknown): v is Traits {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Per-user identify traits (merged), copied into later events' `context.traits` so pure transforms can read them. */
export class TraitsMemory {
  constructor(
    private readonly store: LastValueStore,
    private readonly names: Names,
  ) {}

  /** The event as it will be stored: remembered traits under its own `context.traits` (its own values win). */
  async enrich(event: SignalEvent): Promise<SignalEvent> {
    const key = userKeyOf(event);
    const remembered = (await this.store.get<Traits>(this.names.traits(key)))?.value ?? {};
    const own = event.type === 'identify' ? event.traits : {};
    const merged = { ...remembered, ...own, ...(isObject(event.context['traits']) ? event.context['traits'] : {}) };
    if (Object.keys(merged).length === 0) return event;
    return { ...event, context: { ...event.context, traits: merged } };
  }

  /** Merges an identify call's traits into the user's memory (later calls win per trait). */
  async remember(event: SignalEvent): Promise<void> {
    if (event.type !== 'identify' || Object.keys(event.traits).length === 0) return;
    await this.store.update<Traits>(this.names.traits(userKeyOf(event)), (current) => ({ ...(current ?? {}), ...event.traits }));
  }
}

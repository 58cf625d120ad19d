import { randomUUID } from 'node:crypto';
import type { Exchange } from '@signal/core';
import { NatsSpoolError } from './errors.js';
import type { Names } from './names.js';
import { fitExchange } from './records.js';
import type { Wire } from './wire.js';

/**
 * One delivered batch shares one request/response. Copying it into each of its
 * (up to 1000) jobs' log entries was most of the delivery's bytes and memory, so
 * it is stored once in EXCHANGE and the log entries carry its id.
 */
export class ExchangeStore {
  constructor(
    private readonly wire: Wire,
    private readonly names: Names,
  ) {}

  /** Stores each distinct exchange object once; returns the id per object. */
  async storeAll(exchanges: Iterable<Exchange>): Promise<Map<Exchange, string>> {
    const ids = new Map<Exchange, string>();
    for (const ex of exchanges) if (!ids.has(ex)) ids.set(ex, randomUUID().replaceAll('-', ''));
    await Promise.all(
      [...ids].map(async ([ex, id]) => {
        try {
          await this.wire.publish(this.names.exchange(id), JSON.stringify(fitExchange(ex)));
        } catch (error) {
          throw new NatsSpoolError(`the exchange of a batch was not stored`, error);
        }
      }),
    );
    return ids;
  }

  /** The exchanges behind `ids` (missing ones, e.g. aged out by an operator's max_age, are left out). */
  async load(ids: Iterable<string>): Promise<Map<string, Exchange>> {
    const out = new Map<string, Exchange>();
    await Promise.all(
      [...new Set(ids)].map(async (id) => {
        const m = await this.wire.get(this.names.streams.exchange, { last_by_subj: this.names.exchange(id) }).catch(() => null);
        if (m !== null) out.set(id, m.json<Exchange>());
      }),
    );
    return out;
  }
}

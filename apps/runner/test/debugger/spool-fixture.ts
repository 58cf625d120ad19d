import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEvent, type DeliveryResult, type Exchange, type SignalEvent } from '@signal/core';
import { openSqliteSpool } from '../../src/spool/sqlite.js';
import type { Spool } from '../../src/spool/types.js';
import type { AttemptNotice } from '../../src/debugger/index.js';

/** A throwaway SQLite spool plus an EventEmitter standing in for the delivery engine (attempts, wake, pauses). */
export interface SpoolFixture {
  spool: Spool;
  engine: EventEmitter & {
    on(event: 'attempt', fn: (e: AttemptNotice) => void): EventEmitter;
    wake(integration?: string): void;
    woken: (string | undefined)[];
    /** What paused() answers; resume() deletes from it. */
    pausedNow: Record<string, string>;
    paused(): Record<string, string>;
    resume(integration: string): void;
  };
  /** Stores an event routed to `integrations`; returns it. */
  accept(input: Record<string, unknown>, integrations: string[]): Promise<SignalEvent>;
  /** Claims the event's job for `integration`, records one attempt ending in `state`, and emits it as the engine would. */
  settle(
    messageId: string,
    integration: string,
    state: 'delivered' | 'rejected' | 'dropped' | 'dead',
    attempt: { result: DeliveryResult; exchange?: Exchange; payload?: unknown },
  ): Promise<void>;
  cleanup(): Promise<void>;
}

export function openSpoolFixture(): SpoolFixture {
  const dir = mkdtempSync(join(tmpdir(), 'signal-debugger-'));
  const spool = openSqliteSpool({ path: join(dir, 'signal.db') });
  const woken: (string | undefined)[] = [];
  const pausedNow: Record<string, string> = {};
  const engine = Object.assign(new EventEmitter(), {
    woken,
    wake: (id?: string) => void woken.push(id),
    pausedNow,
    paused: () => ({ ...pausedNow }),
    resume: (id: string) => void delete pausedNow[id],
  }) as SpoolFixture['engine'];
  return {
    spool,
    engine,
    async accept(input, integrations) {
      const parsed = parseEvent(input);
      if (!parsed.ok) throw new Error(`bad fixture event: ${JSON.stringify(parsed.issues)}`);
      await spool.append([{ event: parsed.event, integrations, source: 'web' }]);
      return parsed.event;
    },
    async settle(messageId, integration, state, attempt) {
      const now = Date.now();
      const jobs = await spool.claim(integration, { limit: 100, now: now + 1, leaseMs: 60_000 });
      const job = jobs.find((j) => j.messageId === messageId);
      if (job === undefined) throw new Error(`no claimable job for ${messageId} on ${integration}`);
      const others = jobs.filter((j) => j !== job).map((j) => ({ job: j, state: 'release' as const }));
      await spool.complete([{ job, state, attempt: { at: now, ...attempt } }, ...others]);
      engine.emit('attempt', { integration, messageId, state, result: attempt.result, attempts: job.attempts + 1, exchange: attempt.exchange });
    },
    async cleanup() {
      await spool.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

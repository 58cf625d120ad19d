import type { Exchange } from '@signal/core';
import type { JobUpdate } from '../types.js';
import { NatsSpoolError } from './errors.js';
import type { ExchangeStore } from './exchanges.js';
import type { LastValueStore } from './last-value.js';
import { settled, type HeldChunk, type Holding, type Leases } from './leases.js';
import type { Names } from './names.js';
import { ackAll, type LeasedMessage } from './pull.js';
import { encode, eventName, type DeadRecord, type HoldRecord, type LogRecord, type RetryRecord, type StoredAttempt } from './records.js';
import type { Wire } from './wire.js';

/** One update with what this runner holds for it. */
interface Item {
  update: JobUpdate;
  holding: Holding;
  /** Where the job goes now, written before its log record says so. */
  moveTo?: { subject: string; record: RetryRecord | DeadRecord; msgID: string };
  /** The whole chunk goes back (every job of it handed out is released now): no writes, a nak. */
  withChunk?: boolean;
  failed?: unknown;
}

/**
 * Records a batch of outcomes (`Spool.complete`) in three rounds of writes, each
 * round's messages in flight together:
 *
 * 1. where a job moves: the retry queue (a retry, or a job given back) or DEAD,
 *    and the HOLD entry of a retrying user;
 * 2. the delivery log — one LOG message per (integration, commit) touched, not
 *    one per job — and one TALLY message per final state;
 * 3. acks: of each chunk whose jobs are all recorded, of each retry-queue job.
 *
 * A crash between rounds repeats work, never loses it: a chunk that comes back
 * skips the jobs its log already records; republished jobs carry a
 * Nats-Msg-Id per holding, so a repeat is dropped by JetStream.
 */
export class Outcomes {
  constructor(
    private readonly wire: Wire,
    private readonly names: Names,
    private readonly holds: LastValueStore,
    private readonly exchanges: ExchangeStore,
    private readonly leases: Leases,
    private readonly maxBytes: number,
  ) {}

  /** `chunkNaks: false`: never give a chunk back whole (jobs moved out of it by a claim, others still queued). */
  async complete(updates: JobUpdate[], options: { chunkNaks?: boolean } = {}): Promise<void> {
    const unknown: string[] = [];
    const items: Item[] = [];
    for (const update of updates) {
      const holding = this.leases.out.get(update.job.id);
      if (holding === undefined) unknown.push(update.job.id);
      else items.push({ update, holding });
    }
    const now = Date.now();
    if (options.chunkNaks !== false) this.planChunkReleases(items);

    // Round 1: exchanges (one per batch), moves, holds.
    let exchangeIds = new Map<Exchange, string>();
    try {
      exchangeIds = await this.exchanges.storeAll(items.flatMap((i) => (i.update.state !== 'release' && i.update.attempt.exchange !== undefined ? [i.update.attempt.exchange] : [])));
    } catch (error) {
      for (const item of items) item.failed = error;
    }
    await Promise.all(items.filter((i) => i.failed === undefined && i.withChunk !== true && movesOrHolds(i)).map((i) => this.move(i)));

    // Round 2: the log and the tally.
    const logged = items.filter((i) => i.failed === undefined && i.withChunk !== true && !(i.holding.kind === 'retry' && i.update.state === 'release'));
    await Promise.all([...this.writeLog(logged, exchangeIds, now), ...this.writeTally(logged)]);

    // Round 3: acks and gives back.
    await this.settle(items, now);
    const failures = items.filter((i) => i.failed !== undefined);
    if (unknown.length > 0) throw new NatsSpoolError(`${unknown.length} of ${updates.length} jobs are not claimed by this runner (already completed, or the spool was reopened), e.g. ${unknown[0]}`);
    if (failures.length > 0) throw new NatsSpoolError(`${failures.length} of ${updates.length} job updates failed; those jobs come back`, failures[0]!.failed);
  }

  /** Releases that give back every job of a chunk handed out go back as the chunk (a nak), without writes. */
  private planChunkReleases(items: Item[]): void {
    const released = new Map<HeldChunk, Item[]>();
    for (const item of items) {
      if (item.holding.kind !== 'chunk' || item.update.state !== 'release') continue;
      const list = released.get(item.holding.chunk) ?? [];
      list.push(item);
      released.set(item.holding.chunk, list);
    }
    for (const [chunk, list] of released) {
      const out = chunk.jobs.filter((j) => j.state === 'out').length;
      if (list.length === out) for (const item of list) item.withChunk = true;
    }
  }

  /** Round 1 for one job. */
  private async move(item: Item): Promise<void> {
    const { update, holding } = item;
    const job = update.job;
    const base = holding.kind === 'retry' ? holding.record : this.recordOf(holding);
    // Nats-Msg-Id per holding (chunk or retry message sequence): a repeat after a crash is dropped, a later retry is not.
    const tag = holding.kind === 'retry' ? `r${holding.message.seq}` : `w${holding.chunk.seq}`;
    const hold = this.names.hold(job.integration, job.userKey);
    try {
      if (update.state === 'release') {
        if (holding.kind === 'retry') return; // a nak in round 3
        const { retryAt } = update;
        const record: RetryRecord = { ...base, ...(retryAt === undefined ? {} : { retryAt }) };
        await this.publishMove(item, this.names.retry(job.integration, retryAt === undefined ? 'p' : 'r'), record, `${job.id}.${tag}`);
        return;
      }
      const attempts = base.attempts + 1;
      const firstAttemptAt = base.firstAttemptAt ?? update.attempt.at;
      if (update.state === 'retry') {
        const { batch: _previous, ...unbatched } = base;
        const record: RetryRecord = { ...unbatched, attempts, firstAttemptAt, retryAt: update.retryAt, ...(update.batch === undefined ? {} : { batch: update.batch }) };
        await Promise.all([
          this.publishMove(item, this.names.retry(job.integration, 'r'), record, `${job.id}.${tag}`),
          this.holds.update<HoldRecord>(hold, () => ({ messageId: job.messageId, retryAt: update.retryAt, userKey: job.userKey })),
        ]);
        return;
      }
      const writes: Promise<unknown>[] = [];
      if (update.state === 'dead') {
        const { batch: _b, retryAt: _r, ...rest } = base;
        const dead: DeadRecord = { ...rest, attempts, firstAttemptAt, deadAt: update.attempt.at };
        writes.push(this.publishMove(item, this.names.dead(job.integration), dead, `${job.id}.${tag}`));
      }
      // Only a job that retried before can be named by a hold: a first attempt skips the lookup.
      if (base.attempts > 0 || base.retryAt !== undefined) {
        writes.push(
          (async () => {
            const current = await this.holds.get<HoldRecord>(hold);
            if (current?.value.messageId === job.messageId) await this.holds.delete(hold);
          })(),
        );
      }
      await Promise.all(writes);
    } catch (error) {
      item.failed = error;
    }
  }

  private async publishMove(item: Item, subject: string, record: RetryRecord | DeadRecord, msgID: string): Promise<void> {
    item.moveTo = { subject, record, msgID };
    await this.wire.publish(subject, encode(record), { msgID });
  }

  /** A chunk job as a retry-queue record (when it leaves its chunk). */
  private recordOf(holding: Extract<Holding, { kind: 'chunk' }>): RetryRecord {
    const { chunk, job } = holding;
    return { integration: chunk.integration, source: job.source, event: job.event, createdAt: chunk.createdAt, attempts: 0, c: chunk.commit, o: [chunk.seq, job.index] };
  }

  /** Round 2, the log: a record per job, grouped into one message per (integration, commit), split to fit a message. */
  private writeLog(items: Item[], exchangeIds: Map<Exchange, string>, now: number): Promise<void>[] {
    const groups = new Map<string, { subject: string; items: Item[]; records: string[] }>();
    for (const item of items) {
      const { job } = item.update;
      const origin = item.holding.kind === 'retry' ? item.holding.record : { c: item.holding.chunk.commit, o: [item.holding.chunk.seq, item.holding.job.index] as [number, number] };
      const subject = this.names.log(job.integration, origin.c);
      let group = groups.get(subject);
      if (group === undefined) groups.set(subject, (group = { subject, items: [], records: [] }));
      group.items.push(item);
      group.records.push(encode(this.logRecord(item, origin.o, exchangeIds, now)));
    }
    const writes: Promise<void>[] = [];
    for (const group of groups.values()) {
      let start = 0;
      let bytes = 0;
      const flush = (end: number) => {
        const records = group.records.slice(start, end);
        const covered = group.items.slice(start, end);
        writes.push(
          this.wire.publish(group.subject, `{"records":[${records.join(',')}]}`).then(
            () => undefined,
            (error: unknown) => {
              for (const item of covered) item.failed = error;
            },
          ),
        );
        start = end;
        bytes = 0;
      };
      // A UTF-16 unit is at most 3 bytes: most groups fit without measuring each record.
      if (group.records.reduce((n, r) => n + r.length + 1, 0) * 3 > this.maxBytes) {
        group.records.forEach((r, k) => {
          const size = Buffer.byteLength(r) + 1;
          if (bytes + size > this.maxBytes && k > start) flush(k);
          bytes += size;
        });
      }
      flush(group.records.length);
    }
    return writes;
  }

  private logRecord(item: Item, o: [number, number], exchangeIds: Map<Exchange, string>, now: number): LogRecord {
    const { update, holding } = item;
    const { job } = update;
    const retried = holding.kind === 'retry';
    const attemptsBefore = retried ? holding.record.attempts : 0;
    // Built field by field: this runs once per delivered job, and object spreads were a sixth of delivery's CPU.
    const record: LogRecord = {
      id: job.id,
      m: job.messageId,
      s: retried ? holding.record.source : holding.job.source,
      ty: job.event.type,
      u: job.userKey,
      st: 'pending',
      n: attemptsBefore,
      at: now,
      ct: retried ? holding.record.createdAt : holding.chunk.createdAt,
      o,
    };
    const name = eventName(job.event);
    if (name !== undefined) record.nm = name;
    if (update.state === 'release') {
      if (update.retryAt !== undefined) {
        record.st = 'retry';
        record.ra = update.retryAt;
      }
      return record;
    }
    const { attempt } = update;
    const stored: StoredAttempt = { at: attempt.at, result: attempt.result };
    if (attempt.payloadJson !== undefined) stored.payload = JSON.parse(attempt.payloadJson) as unknown;
    else if (attempt.payload !== undefined) stored.payload = attempt.payload;
    const exchangeId = attempt.exchange === undefined ? undefined : exchangeIds.get(attempt.exchange);
    if (exchangeId !== undefined) stored.exchangeId = exchangeId;
    record.st = update.state;
    record.n = attemptsBefore + 1;
    record.at = attempt.at;
    record.r = attempt.result;
    record.a = stored;
    if (update.state === 'retry') record.ra = update.retryAt;
    return record;
  }

  /** Round 2, the tally: one message per (integration, final state) of this batch. Dead letters are counted from DEAD. */
  private writeTally(items: Item[]): Promise<void>[] {
    const counts = new Map<string, { integration: string; state: string; items: Item[] }>();
    for (const item of items) {
      const { state, job } = item.update;
      if (state !== 'delivered' && state !== 'rejected' && state !== 'dropped') continue;
      const key = `${job.integration}\u0000${state}`;
      const c = counts.get(key) ?? { integration: job.integration, state, items: [] };
      c.items.push(item);
      counts.set(key, c);
    }
    return [...counts.values()].map((c) =>
      this.wire.publish(this.names.tally(c.integration, c.state, c.items.length), '').then(
        () => undefined,
        // The log has the outcome; only the count is off (stats), so the jobs are not failed for it.
        () => undefined,
      ),
    );
  }

  /** Round 3: acks, gives back, and what this runner no longer holds. */
  private async settle(items: Item[], now: number): Promise<void> {
    const acks: LeasedMessage[] = [];
    const naks: Promise<void>[] = [];
    const chunks = new Set<HeldChunk>();
    const chunkNaks = new Map<HeldChunk, number>();
    for (const item of items) {
      const { holding, update } = item;
      this.leases.out.delete(update.job.id);
      if (holding.kind === 'retry') {
        if (item.failed !== undefined) continue; // not acked: back when its lease ends
        if (update.state === 'release') naks.push(holding.message.nak(update.retryAt === undefined ? 0 : Math.max(0, update.retryAt - now)));
        else acks.push(holding.message);
        continue;
      }
      chunks.add(holding.chunk);
      if (item.withChunk === true) {
        const delay = update.state === 'release' && update.retryAt !== undefined ? Math.max(0, update.retryAt - now) : 0;
        chunkNaks.set(holding.chunk, Math.min(chunkNaks.get(holding.chunk) ?? delay, delay));
        holding.job.state = 'queued';
      } else holding.job.state = item.failed === undefined ? 'done' : 'lost';
    }
    for (const [chunk, delay] of chunkNaks) {
      chunks.delete(chunk);
      if (chunk.jobs.some((j) => j.state === 'out')) {
        // A claim handed out more of it meanwhile: give back nothing now; the released jobs come back with the chunk.
        for (const item of items) if (item.withChunk === true && item.holding.kind === 'chunk' && item.holding.chunk === chunk) item.holding.job.state = 'lost';
        continue;
      }
      this.leases.drop(chunk);
      naks.push(chunk.message.nak(delay));
    }
    for (const chunk of chunks) {
      const state = settled(chunk);
      if (state === 'open') continue;
      this.leases.drop(chunk);
      if (state === 'done') acks.push(chunk.message);
      else naks.push(chunk.message.nak(0)); // its lost jobs come back now
    }
    await Promise.all([ackAll(acks), ...naks]).catch((error: unknown) => {
      // The records are written; an unconfirmed ack means a chunk may come back and skip what its log records.
      throw new NatsSpoolError('acking recorded jobs failed', error);
    });
  }
}

/** Whether round 1 has anything to write for this job: most are first attempts that ended (nothing moves, no hold names them). */
function movesOrHolds({ update, holding }: Item): boolean {
  if (update.state === 'retry' || update.state === 'dead') return true;
  if (update.state === 'release') return holding.kind === 'chunk';
  return holding.kind === 'retry' && (holding.record.attempts > 0 || holding.record.retryAt !== undefined);
}

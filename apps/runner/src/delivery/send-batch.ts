import type { DeliveryResult, Exchange, HttpClient, Integration, Logger, Outgoing } from '@signal/core';

/** One record's outcome: its result, and the request that decided it (the delivery log's evidence). */
export interface RecordOutcome {
  result: DeliveryResult;
  exchange?: Exchange;
  durationMs: number;
}

export interface SendContext {
  integration: Integration;
  http: HttpClient;
  logger: Logger;
  now: () => number;
  /** An error as text fit for logs (secrets masked). */
  explain: (error: unknown) => string;
}

/**
 * Sends one request-sized batch and returns one outcome per record, in order. Never throws: a
 * plugin bug (ContractError, a throw) becomes `retry`, so the events are never lost.
 *
 * A vendor that can only reject a whole batch (`capabilities.bisectRejectedBatches`, e.g.
 * LaunchDarkly's 400) gets the batch back in halves, down to single records, so only the bad
 * records end `rejected` and the rest are delivered (at most 2n − 1 requests for n records).
 */
export async function sendBatch(ctx: SendContext, batch: Outgoing[], depth = 0): Promise<RecordOutcome[]> {
  const started = performance.now();
  let results: DeliveryResult[];
  let exchange: Exchange | undefined;
  try {
    const outcome = await ctx.integration.send(batch, ctx.http, ctx.logger, ctx.now);
    results = outcome.results;
    exchange = outcome.exchange;
  } catch (error) {
    ctx.logger.error({ integration: ctx.integration.id, records: batch.length, err: ctx.explain(error) }, `sending a batch to ${ctx.integration.id} failed unexpectedly; the events will be retried`);
    const reason = ctx.explain(error);
    results = batch.map(() => ({ status: 'retry', reason }));
  }
  const durationMs = exchange?.durationMs ?? performance.now() - started;
  const bisect = ctx.integration.destination.capabilities.bisectRejectedBatches === true && batch.length > 1 && results.every((r) => r.status === 'rejected');
  if (!bisect) return results.map((result) => ({ result, durationMs, ...(exchange === undefined ? {} : { exchange }) }));
  const half = Math.ceil(batch.length / 2);
  // Sequential: the halves carry the users of the slot this batch holds.
  const outcomes = [...(await sendBatch(ctx, batch.slice(0, half), depth + 1)), ...(await sendBatch(ctx, batch.slice(half), depth + 1))];
  if (depth > 0) return outcomes;
  const bad = outcomes.filter((o) => o.result.status === 'rejected').length;
  ctx.logger.info(
    { integration: ctx.integration.id, records: batch.length, rejected: bad },
    `${ctx.integration.id} rejected a batch of ${batch.length} as a whole; split to find the bad records: ${bad} rejected, ${batch.length - bad} not`,
  );
  return outcomes;
}

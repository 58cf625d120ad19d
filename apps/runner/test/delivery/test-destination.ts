import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PayloadValidationError, defineDestination, delivered, rejected, type DeliveryResult } from '@signal/core';

/**
 * A small destination for engine tests: batches of `batch` records to
 * POST http://vendor.test/batch, Bearer auth, and a body
 * `{ results: [{ ok } | { ok: false, error }] }` read per record.
 */
export interface TestRecord {
  id: string;
  user: string;
  name: string;
  props: Record<string, unknown>;
}

export const testDestination = defineDestination({
  id: 'testvendor',
  name: 'Test Vendor',
  version: '0.0.0',
  settings: z.object({
    api_key: z.string().min(4),
    batch: z.number().int().positive().default(3),
    concurrency: z.number().int().positive().default(2),
    /** Answer with a wrong result count (a plugin bug) when the vendor body says so. */
    buggy: z.boolean().default(false),
    /** buildRequest throws an error quoting the key (a careless plugin). */
    leaky: z.boolean().default(false),
  }),
  secrets: ['api_key'],
  presets: { default: { unmapped: 'passthrough', events: { 'Ignored Event': 'drop' } } },
  defaultPreset: 'default',
  limits: (s) => ({ maxBatchItems: s.batch, maxConcurrency: s.concurrency }),
  capabilities: { batching: true, identify: true },
  transform(mapped): TestRecord {
    if (mapped.properties['invalid'] === true) throw new PayloadValidationError('property "invalid" is not allowed', 'invalid_property');
    return { id: mapped.event.message_id, user: mapped.event.user_id ?? mapped.event.anonymous_id ?? '', name: mapped.name, props: mapped.properties };
  },
  buildRequest(batch, ctx) {
    if (ctx.settings.leaky) throw new TypeError(`cannot build https://vendor.test/batch?key=${ctx.settings.api_key}`);
    return {
      method: 'POST',
      url: 'http://vendor.test/batch',
      headers: { authorization: `Bearer ${ctx.settings.api_key}`, 'content-type': 'application/json', 'x-key-echo': ctx.settings.api_key },
      body: JSON.stringify({ records: batch.map((o) => o.record) }),
    };
  },
  parseResponse(response, batch, ctx): DeliveryResult[] {
    const body = response.body === '' ? {} : (JSON.parse(response.body) as { results?: { ok: boolean; error?: string }[] });
    if (ctx.settings.buggy) return [];
    return batch.map((_, i) => {
      const r = body.results?.[i];
      return r === undefined || r.ok ? delivered() : rejected('vendor_rejected', r.error ?? 'rejected');
    });
  },
});

/**
 * Like testDestination, but its vendor dedupes by a batch id (a pure function of the batch's
 * message ids, sent as x-batch-id, like LaunchDarkly's payload id) and rejects a whole batch for
 * one bad record: the engine must retry such a batch as the same records and bisect a rejection.
 */
export const batchIdDestination = defineDestination({
  ...testDestination,
  id: 'batchidvendor',
  name: 'Batch Id Vendor',
  capabilities: { batching: true, identify: true, idempotentBatches: true, bisectRejectedBatches: true },
  buildRequest(batch, ctx) {
    const request = testDestination.buildRequest(batch, ctx);
    const id = createHash('sha256').update(batch.map((o) => o.messageId).join('\n')).digest('hex').slice(0, 32);
    return { ...request, headers: { ...request.headers, 'x-batch-id': id } };
  },
});

import { describe, expect, it } from 'vitest';
import { classifyHttpStatus, defineDestination, delivered } from '@signal/core';
import { conformanceChecks, type ConformanceCheck } from '@signal/core/testkit';
import { exampleAccept, exampleEvents, examplePlugin, exampleRecords, exampleSettings } from './fixtures/example-plugin.js';

/** Runs every check and returns each failed check's name with its message. */
async function failures(checks: ConformanceCheck[]): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  for (const c of checks) {
    if (c.skip !== undefined) continue;
    try {
      await c.run();
    } catch (error) {
      failed.set(c.name, error instanceof Error ? error.message : String(error));
    }
  }
  return failed;
}

async function failingChecks(checks: ConformanceCheck[]): Promise<string[]> {
  return [...(await failures(checks)).keys()];
}

const base = { settings: { api_key: 'example-secret-key' }, events: exampleEvents, vendor: { accept: exampleAccept, records: exampleRecords } };

describe('the conformance kit catches broken plugins', () => {
  it('passes the correct example plugin on every check', async () => {
    expect(await failingChecks(conformanceChecks({ ...base, plugin: examplePlugin }))).toEqual([]);
  });

  it('catches a transform that reads the clock, a 5xx read as success, a lost result and a leaked secret', async () => {
    const broken = defineDestination({
      ...examplePlugin,
      id: 'broken',
      // Impure: stamps the send time instead of the event time.
      transform: (mapped, ctx) => ({ ...examplePlugin.transform(mapped, ctx), at: Date.now() }),
      // Logs its credentials and drops the last result.
      parseResponse(response, batch, ctx) {
        ctx.logger.info({ key: ctx.settings.api_key }, 'parsed');
        return batch.slice(1).map(() => delivered());
      },
      // Treats every vendor error as delivered.
      classifyError: (_res, batch) => batch.map(() => delivered()),
    });
    const failed = await failingChecks(conformanceChecks({ ...base, plugin: broken }));
    expect(failed).toEqual(
      expect.arrayContaining([
        'transform is pure and deterministic',
        'delivers: one result per event, in order',
        'HTTP 500 → retry',
        'HTTP 401 → auth',
        'HTTP 400 → rejected',
        'never leaks secrets into logs, results or the delivery log',
      ]),
    );
  });

  it('catches settings errors without field paths and batches over the limits', async () => {
    const sloppy = defineDestination({
      ...examplePlugin,
      id: 'sloppy',
      // Accepts anything: a typo in config would only show at send time.
      settings: exampleSettings.partial().transform((s) => ({ region: 'us' as const, api_key: 'example-secret-key', ...s })),
      // Claims a 1-item limit but the kit sends more than that; the chunker obeys limits,
      // so break the byte limit instead: every record is larger than maxBatchBytes allows.
      limits: { maxBatchItems: 10, maxBatchBytes: 10, maxConcurrency: 1 },
      buildRequest: (batch, ctx) => ({ ...examplePlugin.buildRequest(batch, ctx), body: JSON.stringify({ events: batch.map((o) => o.record), pad: 'x'.repeat(100) }) }),
    });
    const failed = await failingChecks(conformanceChecks({ ...base, plugin: sloppy }));
    expect(failed).toEqual(expect.arrayContaining(['accepts valid settings and names the field of invalid ones', 'batches respect limits']));
  });

  it('catches a plugin that classifies 429 without honouring Retry-After', async () => {
    const impatient = defineDestination({
      ...examplePlugin,
      id: 'impatient',
      classifyError: (res) => (res.status === 429 ? { status: 'retry', reason: 'slow down' } : classifyHttpStatus(res)),
    });
    const failed = await failingChecks(conformanceChecks({ ...base, plugin: impatient }));
    expect(failed).toEqual(['HTTP 429 → retry']);
  });
});

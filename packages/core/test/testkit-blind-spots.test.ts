import { describe, expect, it } from 'vitest';
import { defineDestination, definitionProblems, delivered, type AnyDestination } from '@signal/core';
import { conformanceChecks, findSecret, type ConformanceCheck, type ConformanceOptions } from '@signal/core/testkit';
import { exampleAccept, exampleEvents, examplePlugin, exampleRecords } from './fixtures/example-plugin.js';

/**
 * Each deliberately broken plugin here passed the kit before it learnt to
 * look (issue #12): the fake vendor's records are the oracle for what was
 * sent, the clock includes the Date constructor, the console is watched and
 * secrets are looked for in their encoded forms too.
 */
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

const secret = 'example-secret-key';
const base: Omit<ConformanceOptions, 'plugin'> = { settings: { api_key: secret }, events: exampleEvents, vendor: { accept: exampleAccept, records: exampleRecords } };
const run = (plugin: AnyDestination, options: Partial<ConformanceOptions> = {}) => failures(conformanceChecks({ ...base, ...options, plugin }));
const body = (records: unknown[]) => JSON.stringify({ events: records });

describe('the kit checks what the vendor received, not what the plugin says', () => {
  it('catches a plugin that sends only the first record and reports every event delivered (data loss)', async () => {
    const lossy = defineDestination({
      ...examplePlugin,
      id: 'lossy',
      buildRequest: (batch, ctx) => ({ ...examplePlugin.buildRequest(batch, ctx), body: body([batch[0]!.record]) }),
      parseResponse: (_res, batch) => batch.map(() => delivered()),
    });
    const failed = await run(lossy);
    expect(failed.get('every event reported delivered reached the vendor')).toMatch(/reported delivered were never sent/);
  });

  it('catches a plugin that sends the first record twice and never the second', async () => {
    const doubled = defineDestination({
      ...examplePlugin,
      id: 'doubled',
      buildRequest: (batch, ctx) => ({ ...examplePlugin.buildRequest(batch, ctx), body: body(batch.map(() => batch[0]!.record)) }),
      parseResponse: (_res, batch) => batch.map(() => delivered()),
    });
    const failed = await run(doubled);
    expect(failed.get('every event reported delivered reached the vendor')).toMatch(/same record more than once/);
  });

  it('catches a plugin that sends extra records per event', async () => {
    const chatty = defineDestination({
      ...examplePlugin,
      id: 'chatty',
      buildRequest: (batch, ctx) => ({
        ...examplePlugin.buildRequest(batch, ctx),
        body: body(batch.flatMap((o) => [o.record, { ...o.record, name: 'session_ping' }])),
      }),
      parseResponse: (_res, batch) => batch.map(() => delivered()),
    });
    const failed = await run(chatty);
    expect(failed.get('sends exactly one record per event')).toMatch(/carried \d+ records for \d+ event/);
    expect(failed.has('every event reported delivered reached the vendor')).toBe(false);
  });

  it('says what is missing when the plugin author gives no records extractor', async () => {
    const failed = await run(examplePlugin, { vendor: { accept: exampleAccept } as unknown as ConformanceOptions['vendor'] });
    expect(failed.get('every event reported delivered reached the vendor')).toMatch(/give the kit vendor\.records/);
  });
});

describe('the kit catches every clock', () => {
  it.each([
    ['new Date()', () => new Date().toISOString()],
    ['Date() called as a function', () => Date()],
    ['performance.now()', () => Math.round(performance.now())],
    ['Date.now()', () => Date.now()],
  ])('catches %s in transform', async (_name, clock) => {
    const impure = defineDestination({ ...examplePlugin, id: 'impure', transform: (mapped, ctx) => ({ ...examplePlugin.transform(mapped, ctx), sentAt: clock() }) });
    const failed = await run(impure);
    expect(failed.get('transform is pure and deterministic')).toMatch(/two transforms gave different output/);
  });

  it('still lets a transform parse the event time with new Date(value)', async () => {
    const parsing = defineDestination({ ...examplePlugin, id: 'parsing', transform: (mapped, ctx) => ({ ...examplePlugin.transform(mapped, ctx), at: new Date(mapped.event.timestamp).getTime() }) });
    expect([...(await run(parsing)).keys()]).toEqual([]);
  });
});

describe('the kit finds secrets on the console and in encoded forms', () => {
  it.each([
    ['console.log in buildRequest', (key: string) => console.log('sending with', key)],
    ['console.error of the settings object', (key: string) => console.error({ settings: { api_key: key } })],
    ['console.warn of the base64 secret', (key: string) => console.warn(`auth ${Buffer.from(`user:${key}`).toString('base64')}`)],
    ['console.debug of the URL-encoded secret', (key: string) => console.debug(`?k=${encodeURIComponent(`${key}&`)}`)],
    ['process.stdout.write', (key: string) => process.stdout.write(`key=${key}\n`)],
  ])('catches %s', async (_name, print) => {
    const noisy = defineDestination({
      ...examplePlugin,
      id: 'noisy',
      buildRequest: (batch, ctx) => {
        print(ctx.settings.api_key);
        return examplePlugin.buildRequest(batch, ctx);
      },
    });
    // Only the console check: the others would print the fake secret into the test output.
    const failed = await failures(conformanceChecks({ ...base, plugin: noisy }).filter((c) => c.name === 'never prints secrets to the console'));
    expect(failed.get('never prints secrets to the console')).toMatch(/a secret value appears .* in console output/);
  });

  it.each([
    ['base64 in the body', (key: string) => ({ proof: Buffer.from(key).toString('base64') }), 'base64-encoded'],
    ['base64 of user:key in the body', (key: string) => ({ proof: Buffer.from(`acme:${key}`).toString('base64url') }), 'base64-encoded'],
    ['hex in the body', (key: string) => ({ proof: Buffer.from(key).toString('hex') }), 'hex-encoded'],
  ])('catches a secret sent as %s (the delivery log would show it)', async (_name, encode, how) => {
    const encoding = defineDestination({
      ...examplePlugin,
      id: 'encoding',
      buildRequest: (batch, ctx) => ({ ...examplePlugin.buildRequest(batch, ctx), body: JSON.stringify({ events: batch.map((o) => o.record), ...encode(ctx.settings.api_key) }) }),
    });
    const failed = await run(encoding);
    expect(failed.get('never leaks secrets into logs, results or the delivery log')).toMatch(new RegExp(`appears ${how}`));
  });

  it('passes a plugin that declares the encoded form in secretValues (then it is masked)', async () => {
    const declared = defineDestination({
      ...examplePlugin,
      id: 'declared',
      secretValues: (s) => [Buffer.from(s.api_key).toString('base64')],
      buildRequest: (batch, ctx) => ({ ...examplePlugin.buildRequest(batch, ctx), body: JSON.stringify({ events: batch.map((o) => o.record), proof: Buffer.from(ctx.settings.api_key).toString('base64') }) }),
    });
    expect([...(await run(declared)).keys()]).toEqual([]);
  });

  it('finds a secret inside base64 at every byte alignment, and not in unrelated text', () => {
    for (const prefix of ['', 'a', 'ab', 'abc:', 'user:']) {
      expect(findSecret(`Basic ${Buffer.from(`${prefix}${secret}`).toString('base64')}`, secret)).toEqual(['base64-encoded']);
    }
    expect(findSecret('{"events":[{"name":"purchase","user":"u1"}]} Basic dXNlcjpvdGhlcg==', secret)).toEqual([]);
  });
});

describe('limits and definitions', () => {
  it('passes a legitimate plugin with a large maxBatchItems (5000)', async () => {
    const roomy = defineDestination({ ...examplePlugin, id: 'roomy', limits: { maxBatchItems: 5000, maxBatchBytes: 16_000_000, maxConcurrency: 2 } });
    expect([...(await run(roomy)).keys()]).toEqual([]);
  }, 60_000);

  it('catches a plugin that sends more records per request than maxBatchItems', async () => {
    // Claims 3 per request, but its buildRequest pads each request with the previous request's records.
    let previous: unknown[] = [];
    const overfull = defineDestination({
      ...examplePlugin,
      id: 'overfull',
      limits: { maxBatchItems: 3, maxConcurrency: 1 },
      buildRequest: (batch, ctx) => {
        const records = [...previous, ...batch.map((o) => o.record)];
        previous = batch.map((o) => o.record);
        return { ...examplePlugin.buildRequest(batch, ctx), body: body(records) };
      },
      parseResponse: (_res, batch) => batch.map(() => delivered()),
    });
    const failed = await run(overfull);
    expect(failed.get('batches respect limits')).toMatch(/over maxBatchItems 3/);
  });

  it('names exactly the members an incomplete definition lacks', async () => {
    const { buildRequest: _b, parseResponse: _p, ...rest } = examplePlugin;
    const incomplete = { ...rest, capabilities: { batching: 'yes' } } as unknown as AnyDestination;
    expect(definitionProblems(incomplete)).toEqual([
      'capabilities: wrong type (object), needs an object with booleans batching and identify',
      'buildRequest: missing, needs a function (batch, ctx) → HTTP request',
      'parseResponse: missing, needs a function (response, batch, ctx) → one result per record',
    ]);
    const failed = await failures(conformanceChecks({ ...base, plugin: incomplete }).slice(0, 1));
    expect(failed.get('declares a complete definition')).toMatch(/buildRequest: missing/);
  });
});

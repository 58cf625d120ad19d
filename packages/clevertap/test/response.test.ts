import { describe, expect, it } from 'vitest';
import { deliver, event, refusing } from './harness.js';

// Reading CleverTap's answer: only what it confirms is delivered.
const track = (user: string, extra: Record<string, unknown> = {}) => event({ type: 'track', event: 'Product Viewed', user_id: user, properties: { sku: 'A' }, ...extra });
const three = () => [track('a'), track('b'), track('c')];

describe('matching unprocessed[] to records', () => {
  it('by index when CleverTap gives one (no record echoed)', async () => {
    const { results } = await deliver(three(), refusing((_, i) => (i === 2 ? { code: 525, error: 'Invalid timestamp' } : undefined), { withIndex: true, echoRecord: false }));
    expect(results).toEqual([{ status: 'delivered' }, { status: 'delivered' }, { status: 'rejected', code: 'clevertap_525', message: 'Invalid timestamp' }]);
  });

  it('by the echoed record whatever its key order', async () => {
    const { results } = await deliver(three(), (req) => {
      const sent = req.json<{ d: Record<string, unknown>[] }>().d[1]!;
      const reordered = Object.fromEntries(Object.entries(sent).reverse());
      return { status: 200, body: { status: 'partial', processed: 2, unprocessed: [{ status: 'fail', code: 513, error: 'Restricted event', record: reordered }] } };
    });
    expect(results.map((r) => r.status)).toEqual(['delivered', 'rejected', 'delivered']);
  });

  it('two identical records, one refused → exactly one failed, one delivered', async () => {
    const events = [track('x'), track('x')];
    const { results } = await deliver(events, (req) => {
      const record = req.json<{ d: unknown[] }>().d[0];
      return { status: 200, body: { status: 'partial', processed: 1, unprocessed: [{ status: 'fail', code: 512, error: 'bad', record }] } };
    });
    expect(results.map((r) => r.status).sort()).toEqual(['delivered', 'rejected']);
  });

  it('unmatchable unprocessed records → nothing unconfirmed is claimed delivered, and the reason says why', async () => {
    const { results } = await deliver(three(), () => ({
      status: 200,
      body: { status: 'partial', processed: 2, unprocessed: [{ status: 'fail', code: 512, error: 'bad', record: { something: 'else' } }] },
    }));
    expect(results.map((r) => r.status)).toEqual(['retry', 'retry', 'retry']);
    expect(results[0]!.status === 'retry' && results[0]!.reason).toMatch(/match none/);
  });

  it('status fail with as many unmatchable permanent failures as records → all rejected', async () => {
    const { results } = await deliver(three(), () => ({
      status: 200,
      body: { status: 'fail', processed: 0, unprocessed: [1, 2, 3].map(() => ({ status: 'fail', code: 523, error: 'Identity missing' })) },
    }));
    expect(results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual(['clevertap_523', 'clevertap_523', 'clevertap_523']);
  });

  it('status success that still lists an unprocessed record → that record is not delivered', async () => {
    const { results } = await deliver(three(), (req) => {
      const record = req.json<{ d: unknown[] }>().d[0];
      return { status: 200, body: { status: 'success', processed: 2, unprocessed: [{ status: 'fail', code: 509, error: 'Event name missing', record }] } };
    });
    expect(results.map((r) => r.status)).toEqual(['rejected', 'delivered', 'delivered']);
  });

  it('status fail listing only some records → the unlisted ones are retried, not claimed delivered', async () => {
    const { results } = await deliver(three(), (req) => {
      const record = req.json<{ d: unknown[] }>().d[0];
      return { status: 200, body: { status: 'fail', processed: 0, unprocessed: [{ status: 'fail', code: 512, error: 'bad', record }] } };
    });
    expect(results.map((r) => r.status)).toEqual(['rejected', 'retry', 'retry']);
  });
});

describe('unreadable or whole-request answers', () => {
  it('HTTP 200 with a non-JSON body → retry (delivery not confirmed)', async () => {
    const { results } = await deliver(three(), () => ({ status: 200, body: '<html>gateway</html>' }));
    expect(results.map((r) => r.status)).toEqual(['retry', 'retry', 'retry']);
  });

  it('HTTP 200 with an unknown status → retry', async () => {
    const { results } = await deliver(three(), () => ({ status: 200, body: { status: 'queued' } }));
    expect(results.map((r) => r.status)).toEqual(['retry', 'retry', 'retry']);
  });

  it('status fail with a permanent top-level code and no unprocessed[] → all rejected with that code', async () => {
    const { results } = await deliver(three(), () => ({ status: 200, body: { status: 'fail', code: 512, error: 'Invalid JSON structure' } }));
    expect(results).toEqual(three().map(() => ({ status: 'rejected', code: 'clevertap_512', message: 'Invalid JSON structure' })));
  });

  it('HTTP 400 carrying unprocessed[] is read per record', async () => {
    const { results } = await deliver(three(), (req) => {
      const record = req.json<{ d: unknown[] }>().d[1];
      return { status: 400, body: { status: 'fail', unprocessed: [{ status: 'fail', code: 522, error: 'Too many properties', record }] } };
    });
    // A 4xx means CleverTap stored nothing: unlisted records are retried, the listed one rejected.
    expect(results.map((r) => r.status)).toEqual(['retry', 'rejected', 'retry']);
  });
});

describe('batching', () => {
  it('1,001 records → two requests of 1,000 and 1, every record delivered', async () => {
    const events = Array.from({ length: 1001 }, (_, i) => track(`u${i % 7}`));
    const { results, requests } = await deliver(events);
    expect(requests.map((r) => r.json<{ d: unknown[] }>().d.length)).toEqual([1000, 1]);
    expect(results.filter((r) => r.status === 'delivered')).toHaveLength(1001);
  });
});

import { createHttpClient, createIntegration, deliverAll, parseEvent, type DeliveryResult, type Exchange, type Mapping, type SignalEvent } from '@signal/core';
import { startFakeVendor, type FakeHandler, type RecordedRequest } from '@signal/core/testkit';
import clevertap from '../src/index.js';

/** Shared by the CleverTap tests: settings, event parsing and one delivery through a fake CleverTap. */
export const settings = { account_id: 'TEST-ACC-1234', passcode: 'pc-S3CRET-9f8e7d', region: 'eu1' };

export const success: FakeHandler = (req) => ({ status: 200, body: { status: 'success', processed: req.json<{ d: unknown[] }>().d.length, unprocessed: [] } });

let seq = 0;
export function event(input: Record<string, unknown>): SignalEvent {
  const parsed = parseEvent({ timestamp: '2024-01-29T14:53:20.000Z', message_id: `m-${seq++}`, ...input });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.event;
}

export interface Delivery {
  results: DeliveryResult[];
  exchanges: Exchange[];
  requests: RecordedRequest[];
  /** Records CleverTap received, across requests. */
  records: Record<string, unknown>[];
}

export async function deliver(events: SignalEvent[], handler: FakeHandler = success, options: { mapping?: Mapping; settings?: unknown } = {}): Promise<Delivery> {
  const vendor = await startFakeVendor(handler);
  const http = createHttpClient({ hostOverrides: { '*': vendor.url }, timeoutMs: 2_000 });
  try {
    const integration = createIntegration(clevertap, { settings: options.settings ?? settings, ...(options.mapping ? { mapping: options.mapping } : {}) });
    const { results, exchanges } = await deliverAll(integration, events, http);
    const requests = [...vendor.requests];
    return { results, exchanges, requests, records: requests.flatMap((r) => r.json<{ d: Record<string, unknown>[] }>().d) };
  } finally {
    await http.close();
    await vendor.close();
  }
}

/** Answers as CleverTap does when some records are refused: status partial/fail and unprocessed[] items. */
export function refusing(pick: (record: Record<string, unknown>, index: number) => { code: number; error: string } | undefined, options: { withIndex?: boolean; echoRecord?: boolean } = {}): FakeHandler {
  return (req) => {
    const records = req.json<{ d: Record<string, unknown>[] }>().d;
    const unprocessed = records.flatMap((record, index) => {
      const failure = pick(record, index);
      if (failure === undefined) return [];
      return [{ status: 'fail', ...failure, ...(options.echoRecord === false ? {} : { record }), ...(options.withIndex ? { index } : {}) }];
    });
    const processed = records.length - unprocessed.length;
    const status = unprocessed.length === 0 ? 'success' : processed === 0 ? 'fail' : 'partial';
    return { status: 200, body: { status, processed, unprocessed } };
  };
}

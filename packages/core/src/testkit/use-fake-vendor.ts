import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createHttpClient, type HttpClient } from '../http.js';
import { startFakeVendor, type FakeHandler, type FakeVendor } from './fake-vendor.js';

/** A fake vendor for a whole test file, plus an HTTP client that sends every host to it. */
export interface FakeVendorHandle extends FakeVendor {
  http: HttpClient;
}

/**
 * Registers the usual lifecycle in the calling test file: start the fake vendor
 * (and a client routed to it) before all tests, close both after, and before
 * each test forget recorded requests and answer with `handler` again.
 */
export function useFakeVendor(handler: FakeHandler, options: { timeoutMs?: number } = {}): FakeVendorHandle {
  let vendor: FakeVendor | undefined;
  let http: HttpClient | undefined;
  const started = (): { vendor: FakeVendor; http: HttpClient } => {
    if (vendor === undefined || http === undefined) throw new TypeError('useFakeVendor: the fake vendor starts in beforeAll; use it inside tests');
    return { vendor, http };
  };
  beforeAll(async () => {
    vendor = await startFakeVendor(handler);
    http = createHttpClient({ hostOverrides: { '*': vendor.url }, timeoutMs: options.timeoutMs ?? 5_000 });
  });
  afterAll(async () => {
    await http?.close();
    await vendor?.close();
  });
  beforeEach(() => {
    started().vendor.reset();
    started().vendor.respond(handler);
  });
  return {
    get url() {
      return started().vendor.url;
    },
    get requests() {
      return started().vendor.requests;
    },
    get http() {
      return started().http;
    },
    respond: (h) => started().vendor.respond(h),
    reset: () => started().vendor.reset(),
    // Closed by the afterAll hook.
    close: async () => {},
  };
}

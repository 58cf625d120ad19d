import { createHttpClient, createIntegration, deliverAll, parseEvent, type EventInput, type Mapping, type SignalEvent } from '@signal/core';
import plugin from '../src/index.js';
import type { LaunchDarklySettingsInput } from '../src/settings.js';
import { startFakeVendor, type FakeHandler, type FakeVendor } from '@signal/core/testkit';

export const TOKEN = 'api-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
export const settings: LaunchDarklySettingsInput = { access_token: TOKEN, project_key: 'default', environment_key: 'production' };

let counter = 0;
/** A valid event; message ids are unique per call so payload ids differ between batches. */
export function event(input: Partial<EventInput> & Pick<EventInput, 'type'>): SignalEvent {
  counter += 1;
  const parsed = parseEvent({ message_id: `m-${counter}`, timestamp: '2025-06-06T08:53:20.000Z', anonymous_id: 'anon-1', ...input });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.event;
}

export interface Run {
  vendor: FakeVendor;
  deliver(events: SignalEvent[], options?: { settings?: LaunchDarklySettingsInput; mapping?: Mapping }): ReturnType<typeof deliverAll>;
  close(): Promise<void>;
}

/** A fake LaunchDarkly plus a way to push events through the real integration path to it. */
export async function startRun(handler: FakeHandler = () => ({ status: 202 })): Promise<Run> {
  const vendor = await startFakeVendor(handler);
  const http = createHttpClient({ hostOverrides: { '*': vendor.url }, timeoutMs: 5_000 });
  return {
    vendor,
    deliver: (events, options = {}) => {
      const integration = createIntegration(plugin, { settings: options.settings ?? settings, ...(options.mapping ? { mapping: options.mapping } : {}) });
      return deliverAll(integration, events, http);
    },
    close: async () => {
      await http.close();
      await vendor.close();
    },
  };
}

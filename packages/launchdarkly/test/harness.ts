import { createIntegration, deliverAll, parseEvent, type EventInput, type Mapping, type SignalEvent } from '@signal/core';
import plugin from '../src/index.js';
import type { LaunchDarklySettingsInput } from '../src/settings.js';
import { useFakeVendor, type FakeHandler, type FakeVendorHandle } from '@signal/core/testkit';

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
  vendor: FakeVendorHandle;
  deliver(events: SignalEvent[], options?: { settings?: LaunchDarklySettingsInput; mapping?: Mapping }): ReturnType<typeof deliverAll>;
}

/** A fake LaunchDarkly for the test file, plus a way to push events through the real integration path to it. */
export function useRun(handler: FakeHandler = () => ({ status: 202 })): Run {
  const vendor = useFakeVendor(handler);
  return {
    vendor,
    deliver: (events, options = {}) => {
      const integration = createIntegration(plugin, { settings: options.settings ?? settings, ...(options.mapping ? { mapping: options.mapping } : {}) });
      return deliverAll(integration, events, vendor.http);
    },
  };
}

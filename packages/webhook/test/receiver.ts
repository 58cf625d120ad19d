import { createIntegration, deliverAll, parseEvent, type EventInput, type SignalEvent } from '@signal/core';
import { useFakeVendor, type FakeVendorHandle } from '@signal/core/testkit';
import webhook from '../src/index.js';

/** core's fake vendor standing in for the webhook's receiver, for the test file; every host is routed to it. */
export type Receiver = FakeVendorHandle;

export function useReceiver(): Receiver {
  return useFakeVendor(() => ({ status: 200 }), { timeoutMs: 2_000 });
}

let counter = 0;
/** A valid canonical event with a fixed timestamp and message id. */
export function event(input: Partial<EventInput> & Record<string, unknown>): SignalEvent {
  counter += 1;
  const parsed = parseEvent({ message_id: `m-${counter}`, timestamp: '2025-06-06T09:00:00.000Z', ...input }, { receivedAt: new Date('2025-06-06T09:00:01.000Z') });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.event;
}

export async function deliver(settings: unknown, events: SignalEvent[], receiver: Receiver, mapping?: Parameters<typeof createIntegration>[1]['mapping']) {
  const integration = createIntegration(webhook, { settings, ...(mapping === undefined ? {} : { mapping }) });
  return deliverAll(integration, events, receiver.http);
}

import { createHttpClient, createIntegration, deliverAll, parseEvent, type EventInput, type HttpClient, type SignalEvent } from '@signal/core';
import { startFakeVendor, type FakeResponse, type RecordedRequest } from '@signal/core/testkit';
import webhook from '../src/index.js';

export interface Receiver {
  url: string;
  /** What the receiving server recorded: the independent oracle for these tests. */
  requests: RecordedRequest[];
  reply(handler: (req: RecordedRequest) => FakeResponse): void;
  http: HttpClient;
  close(): Promise<void>;
}

/** core's fake vendor standing in for the webhook's receiver; every host is routed to it. */
export async function startReceiver(): Promise<Receiver> {
  const fake = await startFakeVendor(() => ({ status: 200, body: 'ok' }));
  const http = createHttpClient({ hostOverrides: { '*': fake.url }, timeoutMs: 2_000 });
  return {
    url: fake.url,
    requests: fake.requests,
    http,
    reply: (h) => fake.respond(h),
    async close() {
      await http.close();
      await fake.close();
    },
  };
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

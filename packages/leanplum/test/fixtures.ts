import { createIntegration, deliverAll, parseEvent, type EventInput, type IntegrationConfig, type SignalEvent } from '@signal/core';
import type { FakeResponse, FakeVendorHandle, RecordedRequest } from '@signal/core/testkit';
import plugin from '../src/index.js';

export type { RecordedRequest } from '@signal/core/testkit';

/** Leanplum's answer to a good single call. */
export const ok = (): FakeResponse => ({ status: 200, body: { response: [{ success: true }] } });

/** Leanplum's answer to a good call of any size: one success per multi action. */
export const okPerAction = (req: RecordedRequest): FakeResponse => {
  const data = req.query['action'] === 'multi' ? req.json<{ data: unknown[] }>().data : [null];
  return { status: 200, body: { response: data.map(() => ({ success: true })) } };
};

export const settings = { app_id: 'app_XXXX', client_key: 'prod_XXXX' };

export function event(input: Omit<EventInput, 'message_id' | 'timestamp'> & Partial<Pick<EventInput, 'message_id' | 'timestamp'>>): SignalEvent {
  const parsed = parseEvent({ timestamp: '2025-06-06T09:00:00Z', ...input }, { generateId: () => 'msg-1' });
  if (!parsed.ok) throw new Error(`bad fixture: ${JSON.stringify(parsed.issues)}`);
  return parsed.event;
}

/** Delivers events through a Leanplum integration to the fake server. */
export async function deliver(fake: FakeVendorHandle, events: SignalEvent[], config: Partial<IntegrationConfig> = {}) {
  const integration = createIntegration(plugin, { settings, ...config });
  return deliverAll(integration, events, fake.http);
}

export const form = (req: RecordedRequest): [string, string][] => [...new URLSearchParams(req.body)];

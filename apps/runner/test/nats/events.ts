import type { SignalEvent } from '@signal/core';

let n = 0;
/** A valid track event; unique message id unless given. */
export function track(user: string, fields: Partial<SignalEvent> = {}): SignalEvent {
  n++;
  return {
    type: 'track',
    event: 'Order Completed',
    properties: { n },
    traits: {},
    user_id: user,
    message_id: `m-${process.pid}-${n}-${Math.random().toString(36).slice(2, 8)}`,
    timestamp: '2025-06-06T09:00:00.000Z',
    context: {},
    ...fields,
  };
}

export function identify(user: string, traits: Record<string, unknown>): SignalEvent {
  return track(user, { type: 'identify', event: undefined, traits });
}

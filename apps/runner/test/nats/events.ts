import type { SignalEvent } from '@signal/core';
import { makeEvent } from '../spool/contract.js';

/** A valid track event with a unique message id (the spool contract suite's event builder). */
export const track = makeEvent;

export function identify(user: string, traits: Record<string, unknown>): SignalEvent {
  return track(user, { type: 'identify', event: undefined, traits });
}

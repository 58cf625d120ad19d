import { deliverAll, type DeliveryResult, type Exchange, type HttpClient, type Integration, type SignalEvent } from '@signal/core';
import { createValueRedactor } from '../debugger/redact-value.js';
import { sampleEvent } from './sample-event.js';

export { sampleEvent } from './sample-event.js';

/** What one test send did, secrets masked: `signal send-test` prints it, the debugger shows it. */
export interface SendTestReport {
  event: SignalEvent;
  /** The record the plugin built; absent when nothing was sent (dropped by the preset or consent). */
  payload?: unknown;
  exchanges: Exchange[];
  result: DeliveryResult;
}

export interface SendTestOptions {
  /** Segment event name, or `page` / `identify` (default: Order Completed). */
  event?: string;
  /** User id of the sample event (default: signal-test-user). */
  user?: string;
}

/**
 * Sends one sample event through an integration for real, as the engine would (its settings,
 * preset, mapping, consent; `http` carries the host overrides), outside the spool: nothing is
 * stored or retried. The one implementation behind `signal send-test` and the debugger's button.
 */
export async function runSendTest(integration: Integration, http: HttpClient, options: SendTestOptions = {}): Promise<SendTestReport> {
  const event = sampleEvent(options.event ?? 'Order Completed', options.user ?? 'signal-test-user');
  const prepared = integration.prepare(event);
  const payload = prepared.outcome === 'send' ? prepared.outgoing.record : undefined;
  const { results, exchanges } = await deliverAll(integration, [event], http);
  const redact = createValueRedactor(integration.redact);
  return redact({ event, ...(payload === undefined ? {} : { payload }), exchanges, result: results[0]! });
}

/** Whether the report is a success for an exit code or a green badge (dropped on purpose counts). */
export const sendTestPassed = (report: SendTestReport): boolean => report.result.status === 'delivered' || report.result.status === 'dropped';

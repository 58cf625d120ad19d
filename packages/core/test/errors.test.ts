import { describe, expect, it } from 'vitest';
import { createIntegration, DropEventError, parseEvent, resultFromError } from '@signal/core';
import { examplePlugin } from './fixtures/example-plugin.js';

describe('DropEventError', () => {
  it('maps to a dropped result carrying the reason', () => {
    expect(resultFromError(new DropEventError('no identity for an anonymous visitor'))).toEqual({ status: 'dropped', reason: 'no identity for an anonymous visitor' });
  });

  it('thrown by a transform, the event is dropped (final, never sent), not rejected', () => {
    const dropping = { ...examplePlugin, transform: () => { throw new DropEventError('deliberately not sent'); } };
    const parsed = parseEvent({ type: 'track', event: 'Order Completed', user_id: 'u' });
    if (!parsed.ok) throw new Error('fixture');
    const prepared = createIntegration(dropping, { settings: { api_key: 'longenough-secret' } }).prepare(parsed.event);
    expect(prepared).toMatchObject({ outcome: 'done', result: { status: 'dropped', reason: 'deliberately not sent' } });
  });
});

import { runConformance, type RecordedRequest } from '@signal/core/testkit';
import { describe } from 'vitest';
import plugin from '../src/index.js';
import { okPerAction } from './fixtures.js';

const events = [
  { type: 'track', event: 'Order Completed', user_id: 'u1', properties: { revenue: 10, currency: 'USD', order_id: 'o-1' } },
  { type: 'track', event: 'Product Viewed', anonymous_id: 'anon-1', properties: { sku: 'A1', price: 5 } },
  { type: 'identify', user_id: 'u1', traits: { plan: 'pro' } },
];
const settings = { app_id: 'app_conformance', client_key: 'prod_conformanceKey123' };

/** What Leanplum received: the actions of a multi call, or the one action of a form-encoded call. */
const records = (req: RecordedRequest): unknown[] => (req.query['action'] === 'multi' ? req.json<{ data: unknown[] }>().data : [req.form()]);

describe('one action per request (default)', () => {
  runConformance({ plugin, settings, events, vendor: { accept: okPerAction, records } });
});

describe('action=multi batching', () => {
  runConformance({ plugin, settings: { ...settings, batch: true }, events, vendor: { accept: okPerAction, records } });
});

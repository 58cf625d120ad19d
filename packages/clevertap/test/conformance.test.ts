import { runConformance } from '@signal/core/testkit';
import clevertap from '../src/index.js';
import { settings, success } from './harness.js';

runConformance({
  plugin: clevertap,
  settings,
  events: [
    { type: 'track', event: 'Order Completed', user_id: 'u1', properties: { order_id: 'o1', revenue: 10, currency: 'USD' } },
    { type: 'page', name: 'Home', user_id: 'u2', context: { traits: { email: 'u2@example.com' } }, properties: { path: '/' } },
    { type: 'identify', user_id: 'u3', traits: { email: 'u3@example.com', name: 'U Three' } },
  ],
  // An upload carries its records in `d`.
  vendor: { accept: success, records: (req) => req.json<{ d: unknown[] }>().d },
});

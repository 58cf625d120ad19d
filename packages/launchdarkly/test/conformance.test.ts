import { runConformance } from '@signal/core/testkit';
import plugin from '../src/index.js';

runConformance({
  plugin,
  settings: { access_token: 'api-conformance-token-0001', project_key: 'default', environment_key: 'production' },
  events: [
    { type: 'track', event: 'Order Completed', user_id: 'u1', properties: { order_id: 'ORD-1', revenue: 10, currency: 'USD' } },
    { type: 'track', event: 'Signed Up', anonymous_id: 'anon-2' },
    { type: 'page', name: 'Home', user_id: 'u3', properties: { path: '/' } },
  ],
  // LaunchDarkly answers a good import with 202 Accepted and an empty body.
  // The body is a JSON array of metric events, one per Signal event (the fake vendor gunzips it).
  vendor: { accept: () => ({ status: 202 }), records: (req) => req.json<unknown[]>() },
});

import { runConformance, type RecordedRequest } from '@signal/core/testkit';
import { describe } from 'vitest';
import webhook from '../src/index.js';

const events = [
  { type: 'track', event: 'Order Completed', user_id: 'u1', properties: { order_id: 'o-1', revenue: 10, currency: 'USD' } },
  { type: 'page', name: 'Home', anonymous_id: 'a1', properties: { path: '/' } },
  { type: 'identify', user_id: 'u2', traits: { email: 'jane@example.com' } },
];

// A receiver that checks the credentials, like a real endpoint behind basic auth would.
const expectedAuth = `Basic ${Buffer.from('signal:s3cret-p@ss').toString('base64')}`;
const acceptWithAuth = (req: RecordedRequest) => (req.headers['authorization'] === expectedAuth ? { status: 200, body: 'ok' } : { status: 401 });

describe('form body, templated URL, basic auth (one request per event)', () => {
  runConformance({
    plugin: webhook,
    settings: {
      url: 'https://signal:s3cret-p%40ss@hooks.example.com/signal/{{ type }}?user={{ user_id }}',
      content_type: 'application/x-www-form-urlencoded',
      data: { event: '{{ mapped.name }}', message_id: '{{ message_id }}', email: '{{ traits.email }}' },
    },
    events,
    // One form-encoded event per request.
    vendor: { accept: acceptWithAuth, records: (req) => [req.form()] },
  });
});

describe('canonical JSON events, batched', () => {
  runConformance({
    plugin: webhook,
    settings: { url: 'https://hooks.example.com/signal', method: 'PUT', batch: { max_items: 2 }, headers: { 'X-Api-Key': 'key-9f8e7d6c' } },
    events,
    vendor: {
      accept: (req) => (Array.isArray(req.json()) && req.headers['x-api-key'] === 'key-9f8e7d6c' ? { status: 202 } : { status: 400 }),
      // A batch is a JSON array of per-event bodies.
      records: (req) => req.json<unknown[]>(),
    },
  });
});

import { parseEvent, type SignalEvent } from '@signal/core';

/** A realistic event for `signal send-test`, by Segment event name (or `page` / `identify`). */
export function sampleEvent(name: string, userId: string): SignalEvent {
  const common = { userId, messageId: `send-test-${Date.now()}`, context: { consent: { categories: ['marketing', 'analytics', 'functional'] }, locale: 'en-GB' } };
  const input =
    name === 'identify'
      ? { ...common, type: 'identify', traits: { email: `${userId}@example.com`, first_name: 'Ada', plan: 'pro' } }
      : name === 'page'
        ? { ...common, type: 'page', name: 'Home', properties: { url: 'https://shop.example.com/', title: 'Home' } }
        : {
            ...common,
            type: 'track',
            event: name,
            properties:
              name === 'Order Completed'
                ? { order_id: 'o-1001', revenue: 64.5, currency: 'EUR', products: [{ product_id: 'p-1', name: 'Trail Shoe', price: 64.5, quantity: 1 }] }
                : { product_id: 'p-1', name: 'Trail Shoe', price: 64.5, value: 64.5, currency: 'EUR' },
          };
  const parsed = parseEvent(input);
  if (!parsed.ok) throw new TypeError(`sample event is invalid: ${parsed.issues.map((i) => i.path).join(', ')}`);
  return parsed.event;
}

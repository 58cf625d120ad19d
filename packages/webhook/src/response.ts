import { delivered, type DeliveryResult, type HttpResponse, type Outgoing } from '@signal/core';

/**
 * Any 2xx is a delivery for every event the request carried: a webhook
 * receiver has no per-item answer format. Non-2xx never reaches here; core's
 * classification applies (408/409/429/5xx retry with Retry-After, 401/403
 * auth, other 4xx rejected).
 */
export function parseWebhookResponse(_response: HttpResponse, batch: readonly Outgoing[]): DeliveryResult[] {
  return batch.map(() => delivered());
}

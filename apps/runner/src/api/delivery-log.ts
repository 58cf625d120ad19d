import { redactValue } from '@signal/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { deliveryQueryStates, type Spool } from '../spool/types.js';
import { decideReplay, replayAnswer } from './replay-request.js';

export interface DeliveryLogOptions {
  spool: Spool;
  /** Configured integration ids: replay and resume refuse others. */
  integrations: readonly string[];
  /** Masks secrets in text (every integration's redactor in turn): applied to every record the API returns, as the debugger does. */
  redact?: ((text: string) => string) | undefined;
  /** Wakes the engine after a replay. */
  wake: (integration?: string) => void;
  paused: () => Record<string, string>;
  resume: (integration: string) => void;
}

const states = deliveryQueryStates;

const deliveriesQuery = z.object({
  integration: z.string().min(1).optional(),
  status: z.enum(states, { error: `must be one of: ${states.join(', ')}` }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  before: z.string().min(1).optional(),
});

/**
 * The delivery log API under /api, read from the spool (the one record of
 * every attempt). Authentication is not here: the admin guard
 * (api/admin-auth.ts) covers every /api route.
 */
export function registerDeliveryLog(app: FastifyInstance, options: DeliveryLogOptions): void {
  const { spool } = options;
  const known = new Set(options.integrations);
  const text = options.redact;
  const redact = <T>(value: T): T => (text === undefined ? value : redactValue(value, text));

  app.get('/api/deliveries', async (request, reply) => {
    const q = deliveriesQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    const { integration, status, limit, before } = q.data;
    const deliveries = await spool.deliveries({
      limit,
      ...(integration === undefined ? {} : { integration }),
      ...(status === undefined ? {} : { state: status }),
      ...(before === undefined ? {} : { before }),
    });
    return { deliveries: redact(deliveries) };
  });

  // Ids dedupe per source: `?source=` picks one when two sources used the same id (default: the latest stored).
  app.get<{ Params: { message_id: string }; Querystring: { source?: string } }>('/api/events/:message_id', async (request, reply) => {
    const source = typeof request.query.source === 'string' && request.query.source !== '' ? request.query.source : undefined;
    const detail = await spool.event(request.params.message_id, source);
    if (detail === undefined) return reply.code(404).send({ error: `no event with message_id "${request.params.message_id}"` });
    return redact(detail);
  });

  app.post('/api/replay', async (request, reply) => {
    const decision = decideReplay(request.body, known);
    if (!decision.ok) return reply.code(400).send({ error: decision.error });
    const replayed = await spool.replay(decision.filter);
    if (replayed > 0) options.wake(decision.filter.integration);
    return replayAnswer(replayed, decision);
  });

  app.get('/api/integrations/paused', async () => ({ paused: options.paused() }));
  app.post<{ Params: { id: string } }>('/api/integrations/:id/resume', async (request, reply) => {
    const { id } = request.params;
    if (!known.has(id)) return reply.code(404).send({ error: `no integration "${id}"; configured: ${[...known].join(', ') || 'none'}` });
    options.resume(id);
    return { resumed: id };
  });
}

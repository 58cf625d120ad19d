import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { deliveryQueryStates, type Spool } from '../spool/types.js';

export interface DeliveryLogOptions {
  spool: Spool;
  /** If set, every /api route requires `Authorization: Bearer <token>`. */
  adminToken?: string;
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

const replayBody = z.object({
  integration: z.string().min(1).optional(),
  status: z.enum(['dead', 'rejected', 'delivered', 'dropped']).default('dead'),
  message_ids: z.array(z.string().min(1)).optional(),
});

function tokenMatches(header: string | undefined, token: string): boolean {
  if (header === undefined || !/^bearer /i.test(header)) return false;
  const given = Buffer.from(header.slice(7).trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The event debugger's API: the delivery log is read from the spool, the one record of every attempt. */
export function registerDeliveryLog(app: FastifyInstance, options: DeliveryLogOptions): void {
  const { spool, adminToken } = options;
  app.register(async (api) => {
    if (adminToken !== undefined) {
      api.addHook('onRequest', async (request, reply) => {
        if (!tokenMatches(request.headers.authorization, adminToken)) {
          return reply.code(401).send({ error: 'this API needs Authorization: Bearer <server.admin_token>' });
        }
      });
    }

    api.get('/api/deliveries', async (request, reply) => {
      const q = deliveriesQuery.safeParse(request.query);
      if (!q.success) return reply.code(400).send({ error: q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      const { integration, status, limit, before } = q.data;
      const deliveries = await spool.deliveries({
        limit,
        ...(integration === undefined ? {} : { integration }),
        ...(status === undefined ? {} : { state: status }),
        ...(before === undefined ? {} : { before }),
      });
      return { deliveries };
    });

    api.get<{ Params: { message_id: string } }>('/api/events/:message_id', async (request, reply) => {
      const detail = await spool.event(request.params.message_id);
      if (detail === undefined) return reply.code(404).send({ error: `no event with message_id "${request.params.message_id}"` });
      return detail;
    });

    api.post('/api/replay', async (request, reply) => {
      const body = replayBody.safeParse(request.body ?? {});
      if (!body.success) return reply.code(400).send({ error: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      const { integration, status, message_ids } = body.data;
      const replayed = await spool.replay({
        state: status,
        ...(integration === undefined ? {} : { integration }),
        ...(message_ids === undefined ? {} : { messageIds: message_ids }),
      });
      options.wake(integration);
      return { replayed };
    });

    api.get('/api/integrations/paused', async () => ({ paused: options.paused() }));
    api.post<{ Params: { id: string } }>('/api/integrations/:id/resume', async (request) => {
      options.resume(request.params.id);
      return { resumed: request.params.id };
    });
  });
}

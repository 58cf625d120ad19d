import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { decideReplay, replayAnswer } from '../api/replay-request.js';
import { deliveryQueryStates, type Spool } from '../spool/types.js';
import type { RedactValue } from './redact-value.js';

export interface DebuggerApiOptions {
  spool: Spool;
  integrations: string[];
  redact: RedactValue;
  /** Starts delivery of replayed jobs now rather than at the engine's next poll. */
  wake?: (integration?: string) => void;
}

const states = deliveryQueryStates;

const deliveriesQuery = z.object({
  integration: z.string().min(1).optional(),
  state: z.enum(states, { error: `must be one of: ${states.join(', ')}` }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.string().min(1).optional(),
});

const issuesText = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');

/** The page's JSON API, under /debugger/api (auth: the admin guard, api/admin-auth.ts). */
export function registerDebuggerApi(scope: FastifyInstance, options: DebuggerApiOptions): void {
  const { spool, redact, integrations } = options;
  const known = new Set(integrations);

  scope.get('/api/integrations', async () => ({ integrations }));

  scope.get('/api/deliveries', async (request, reply) => {
    const q = deliveriesQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: issuesText(q.error) });
    const { integration, state, limit, before } = q.data;
    const deliveries = await spool.deliveries({
      limit,
      ...(integration === undefined ? {} : { integration }),
      ...(state === undefined ? {} : { state }),
      ...(before === undefined ? {} : { before }),
    });
    return { deliveries: redact(deliveries) };
  });

  scope.get<{ Params: { messageId: string } }>('/api/events/:messageId', async (request, reply) => {
    const detail = await spool.event(request.params.messageId);
    if (detail === undefined) return reply.code(404).send({ error: `no event with message_id "${request.params.messageId}"` });
    return redact(detail);
  });

  // The same rule as /api/replay (dead by default, force for delivered/dropped).
  scope.post('/api/replay', async (request, reply) => {
    const decision = decideReplay(request.body, known);
    if (!decision.ok) return reply.code(400).send({ error: decision.error });
    const replayed = await spool.replay(decision.filter);
    if (replayed > 0) options.wake?.(decision.filter.integration);
    return replayAnswer(replayed, decision);
  });
}

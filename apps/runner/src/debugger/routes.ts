import type { HttpClient } from '@signal/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { decideReplay, replayAnswer } from '../api/replay-request.js';
import type { RejectedRequest } from '../collector/ingest-feed.js';
import { vendorFaultSchema, type VendorFaultControl } from '../dev/faults.js';
import { runSendTest, sendTestPassed } from '../send-test/index.js';
import { deliveryQueryStates, type QueueStats, type Spool } from '../spool/types.js';
import { integrationView, type DebuggerIntegration } from './integrations-view.js';
import type { RedactValue } from './redact-value.js';

export interface DebuggerApiOptions {
  spool: Spool;
  integrations: DebuggerIntegration[];
  redact: RedactValue;
  /** Starts delivery of replayed jobs now rather than at the engine's next poll. */
  wake?: (integration?: string) => void;
  /** Integrations paused by an auth failure, with the reason. */
  paused?: () => Record<string, string>;
  resume?: (integration: string) => void;
  /** The runner's HTTP client (host overrides): "send test event" goes where deliveries go. */
  http?: HttpClient;
  /** Refused ingest requests kept for a page that opens after them, newest first. */
  recentRejections: () => RejectedRequest[];
  /** `signal dev` only: the fake vendors' answers. */
  vendorFaults?: VendorFaultControl;
}

const states = deliveryQueryStates;
const text = (max: number) => z.string().trim().min(1).max(max);
/** Blank search fields mean "any". */
const optionalText = (max: number) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), text(max).optional());

const deliveriesQuery = z.object({
  integration: z.string().min(1).optional(),
  state: z.enum(states, { error: `must be one of: ${states.join(', ')}` }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.string().min(1).optional(),
});

const eventsQuery = z.object({
  message_id: optionalText(400),
  user: optionalText(400),
  event: optionalText(400),
  integration: optionalText(200),
  state: z.preprocess((v) => (v === '' ? undefined : v), z.enum(states, { error: `must be one of: ${states.join(', ')}` }).optional()),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().regex(/^[\w.:-]{1,200}$/, 'must be the `next` of a previous page').optional(),
});

const sendTestBody = z.strictObject({
  event: text(200).optional(),
  user: text(200).optional(),
});

const issuesText = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');

/** The page's JSON API, under /debugger/api (auth and JSON-only bodies: the admin guard, api/admin-auth.ts). */
export function registerDebuggerApi(scope: FastifyInstance, options: DebuggerApiOptions): void {
  const { spool, redact, integrations } = options;
  const byId = new Map(integrations.map((d) => [d.integration.id, d]));
  const ids = integrations.map((d) => d.integration.id);
  const unknownIntegration = (reply: FastifyReply, id: string, field = 'integration') =>
    reply.code(field === 'integration' ? 400 : 404).send({ error: `${field}: unknown integration "${id}"; configured: ${ids.join(', ') || 'none'}` });

  scope.get('/api/integrations', async () => {
    const stats = new Map<string, QueueStats>((await spool.stats()).map((s) => [s.integration, s]));
    const paused = options.paused?.() ?? {};
    const fakes = options.vendorFaults?.list() ?? [];
    return {
      integrations: integrations.map((d) => {
        const id = d.integration.id;
        const fake = fakes.find((f) => f.integrations.includes(id));
        return redact(
          integrationView(d, {
            ...(stats.has(id) ? { stats: stats.get(id)! } : {}),
            ...(paused[id] === undefined ? {} : { paused: paused[id] }),
            ...(fake === undefined ? {} : { fakeVendor: { vendor: fake.vendor, url: fake.url, fault: fake.fault } }),
          }),
        );
      }),
    };
  });

  scope.post<{ Params: { id: string } }>('/api/integrations/:id/resume', async (request, reply) => {
    const { id } = request.params;
    if (!byId.has(id)) return unknownIntegration(reply, id, 'id');
    if (options.resume === undefined) return reply.code(501).send({ error: 'this runner cannot resume integrations' });
    options.resume(id);
    options.wake?.(id);
    return { resumed: id };
  });

  scope.post<{ Params: { id: string } }>('/api/integrations/:id/send-test', async (request, reply) => {
    const { id } = request.params;
    const found = byId.get(id);
    if (found === undefined) return unknownIntegration(reply, id, 'id');
    const body = sendTestBody.safeParse(request.body ?? {});
    if (!body.success) return reply.code(400).send({ error: issuesText(body.error) });
    if (options.http === undefined) return reply.code(501).send({ error: 'this runner has no HTTP client for test sends' });
    const report = await runSendTest(found.integration, options.http, {
      ...(body.data.event === undefined ? {} : { event: body.data.event }),
      ...(body.data.user === undefined ? {} : { user: body.data.user }),
    });
    return redact({ passed: sendTestPassed(report), ...report });
  });

  scope.get('/api/rejections', async () => ({ rejections: redact(options.recentRejections()) }));

  scope.get('/api/events', async (request, reply) => {
    const q = eventsQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: issuesText(q.error) });
    const { message_id, user, event, integration, state, limit, before } = q.data;
    const page = await spool.findEvents({
      limit,
      ...(message_id === undefined ? {} : { messageId: message_id }),
      ...(user === undefined ? {} : { user }),
      ...(event === undefined ? {} : { eventName: event }),
      ...(integration === undefined ? {} : { integration }),
      ...(state === undefined ? {} : { state }),
      ...(before === undefined ? {} : { before }),
    });
    return redact(page);
  });

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

  // The same rule as /api/replay (dead by default, force and a scope for delivered/dropped).
  scope.post('/api/replay', async (request, reply) => {
    const decision = decideReplay(request.body, new Set(ids));
    if (!decision.ok) return reply.code(400).send({ error: decision.error });
    const replayed = await spool.replay(decision.filter);
    if (replayed > 0) options.wake?.(decision.filter.integration);
    return replayAnswer(replayed, decision);
  });

  scope.get('/api/dev/vendors', async (_request, reply) => {
    if (options.vendorFaults === undefined) return reply.code(404).send({ error: 'fake vendors exist only in `signal dev`' });
    return { vendors: options.vendorFaults.list() };
  });

  scope.post<{ Params: { vendor: string } }>('/api/dev/vendors/:vendor/fault', async (request, reply) => {
    if (options.vendorFaults === undefined) return reply.code(404).send({ error: 'fake vendors exist only in `signal dev`' });
    const fault = vendorFaultSchema.safeParse(request.body ?? {});
    if (!fault.success) return reply.code(400).send({ error: issuesText(fault.error) });
    if (!options.vendorFaults.set(request.params.vendor, fault.data)) {
      return reply.code(404).send({ error: `no fake vendor "${request.params.vendor}"; there are: ${options.vendorFaults.list().map((v) => v.vendor).join(', ')}` });
    }
    return { vendor: request.params.vendor, fault: fault.data };
  });
}

import { z } from 'zod';
import type { JobState } from '../spool/types.js';

/** States replay accepts. `dead` and `rejected` are failures; the others were final on purpose, so re-sending them needs `force`. */
export const replayableStates = ['dead', 'rejected', 'delivered', 'dropped'] as const;
const forcedStates: readonly string[] = ['delivered', 'dropped'];

export const replayRequestSchema = z.strictObject({
  integration: z.string().min(1).max(200).optional(),
  status: z.enum(replayableStates, { error: `must be one of: ${replayableStates.join(', ')}` }).optional(),
  /** The debugger page's spelling of `status`. */
  state: z.enum(replayableStates, { error: `must be one of: ${replayableStates.join(', ')}` }).optional(),
  message_ids: z.array(z.string().min(1).max(500)).min(1).max(1000).optional(),
  force: z.boolean({ error: 'must be true or false' }).optional(),
});

export type ReplayRequest = z.input<typeof replayRequestSchema>;

export interface ReplayFilter {
  state: JobState;
  integration?: string;
  messageIds?: string[];
}

export type ReplayDecision = { ok: true; filter: ReplayFilter; forced: boolean } | { ok: false; error: string };

/**
 * The replay rule, one place for the API, the debugger and `signal replay -c`:
 * dead letters by default, `rejected` on request; re-sending what was
 * delivered or dropped (duplicates at the vendor) needs `force: true` and a
 * scope (an integration or a message_id list), never "everything".
 */
export function decideReplay(body: unknown, known: ReadonlySet<string>): ReplayDecision {
  const parsed = replayRequestSchema.safeParse(body ?? {});
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
  const { integration, message_ids, force } = parsed.data;
  const state = parsed.data.status ?? parsed.data.state ?? 'dead';
  if (integration !== undefined && !known.has(integration)) {
    return { ok: false, error: `integration: unknown integration "${integration}"; configured: ${[...known].join(', ') || 'none'}` };
  }
  const forced = forcedStates.includes(state);
  if (forced) {
    if (force !== true) {
      return { ok: false, error: `status: replaying ${state} deliveries sends them to the vendor again (duplicates there); to do it anyway, send force: true with an integration or message_ids` };
    }
    if (integration === undefined && message_ids === undefined) {
      return { ok: false, error: `force: replaying ${state} deliveries needs a scope: an integration or message_ids (never all of them at once)` };
    }
  }
  return {
    ok: true,
    forced,
    filter: { state, ...(integration === undefined ? {} : { integration }), ...(message_ids === undefined ? {} : { messageIds: message_ids }) },
  };
}

/** The answer to a replay: how many deliveries go back to pending (they are re-sent shortly after). */
export function replayAnswer(replayed: number, decision: Extract<ReplayDecision, { ok: true }>) {
  const { state, integration } = decision.filter;
  return { replayed, status: state, ...(integration === undefined ? {} : { integration }), forced: decision.forced };
}

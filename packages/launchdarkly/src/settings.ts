import { z } from 'zod';

/** LaunchDarkly ingestion cells. Any bare host is accepted (e.g. a relay), these are the documented ones. */
export const EVENTS_HOSTS = {
  us: 'events.launchdarkly.com',
  eu: 'events.eu.launchdarkly.com',
  federal: 'events.launchdarkly.us',
} as const;

export const DEFAULT_EVENTS_HOST = EVENTS_HOSTS.us;

// A host name with an optional port: no scheme, path, query or credentials.
const bareHost = /^(?=.{1,253}(:|$))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/i;

const requiredText = (what: string) =>
  z
    .string({ error: `is required: ${what}` })
    .trim()
    .min(1, `is required: ${what}`);

/** LaunchDarkly's context kind rules: letters, digits, `.`, `_`, `-`; not `kind`; not `multi` for a single kind. */
const contextKind = /^[A-Za-z0-9._-]+$/;
const kindProblem = (kind: string): string | undefined => {
  if (!contextKind.test(kind)) return `context kind "${kind}" may only contain letters, digits, ".", "_" and "-"`;
  if (kind === 'kind' || kind === 'multi') return `"${kind}" is reserved by LaunchDarkly and cannot be a context kind`;
  return undefined;
};

export const settingsSchema = z
  .object({
    access_token: requiredText('a LaunchDarkly access token with the importEventData permission (Account settings > Authorization)'),
    project_key: requiredText('your LaunchDarkly project key, e.g. default'),
    environment_key: requiredText('your LaunchDarkly environment key, e.g. production'),
    events_host: z
      .string({ error: `must be a host name, e.g. ${EVENTS_HOSTS.eu}` })
      .trim()
      .regex(
        bareHost,
        `must be a bare host name such as ${EVENTS_HOSTS.us}, ${EVENTS_HOSTS.eu} (EU) or ${EVENTS_HOSTS.federal} (US federal): no https://, path or query`,
      )
      .default(DEFAULT_EVENTS_HOST),
    /** The context kind of the main key (user_id, else anonymous_id): the kind your SDK evaluates flags with. */
    context_kind: z.string({ error: 'must be a context kind, e.g. user' }).trim().default('user'),
    /**
     * Further context keys, kind → event path, e.g. `{ unauthenticatedUser: anonymous_id, organization: context.traits.org_id }`.
     * A path the event lacks adds no key.
     */
    context_keys: z.record(z.string(), z.string({ error: 'must be an event path, e.g. anonymous_id or context.traits.org_id' }).trim().min(1, 'must be an event path')).default({}),
  })
  .superRefine((s, ctx) => {
    const problem = kindProblem(s.context_kind);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['context_kind'], message: problem });
    for (const kind of Object.keys(s.context_keys)) {
      const keyProblem = kindProblem(kind) ?? (kind === s.context_kind ? `"${kind}" is already context_kind (the main key); choose another kind` : undefined);
      if (keyProblem !== undefined) ctx.addIssue({ code: 'custom', path: ['context_keys', kind], message: keyProblem });
    }
  });

export type LaunchDarklySettings = z.output<typeof settingsSchema>;
export type LaunchDarklySettingsInput = z.input<typeof settingsSchema>;

/** The metric import endpoint; keys are path-encoded so a stray `/` cannot change the route. */
export function importUrl(settings: Pick<LaunchDarklySettings, 'events_host' | 'project_key' | 'environment_key'>): string {
  return `https://${settings.events_host}/v2/event-data-import/${encodeURIComponent(settings.project_key)}/${encodeURIComponent(settings.environment_key)}`;
}

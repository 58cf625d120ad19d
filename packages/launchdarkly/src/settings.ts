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

export const settingsSchema = z.object({
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
});

export type LaunchDarklySettings = z.output<typeof settingsSchema>;
export type LaunchDarklySettingsInput = z.input<typeof settingsSchema>;

/** The metric import endpoint; keys are path-encoded so a stray `/` cannot change the route. */
export function importUrl(settings: Pick<LaunchDarklySettings, 'events_host' | 'project_key' | 'environment_key'>): string {
  return `https://${settings.events_host}/v2/event-data-import/${encodeURIComponent(settings.project_key)}/${encodeURIComponent(settings.environment_key)}`;
}

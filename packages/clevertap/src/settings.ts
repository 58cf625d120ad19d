import { z } from 'zod';

/** CleverTap provisions every account in one data region; the region picks the API host. */
export const regions = ['us1', 'in1', 'eu1', 'sg1', 'aps3', 'mec1'] as const;
export type Region = (typeof regions)[number];

export const identitySources = ['email', 'user_id', 'trait'] as const;
export const objectIdSources = ['user_id', 'anonymous_id', 'none'] as const;
export const anonymousEventRules = ['drop', 'object_id'] as const;

export const settingsSchema = z
  .object({
    account_id: z
      .string({ message: 'account_id is required: your CleverTap Account ID (Settings > Engagement > A/c Info)' })
      .trim()
      .min(1, 'account_id must not be empty: your CleverTap Account ID (Settings > Engagement > A/c Info)'),
    passcode: z
      .string({ message: 'passcode is required: your CleverTap Account Passcode (Settings > Engagement > A/c Info)' })
      .min(1, 'passcode must not be empty: your CleverTap Account Passcode'),
    region: z.enum(regions, { message: `region must be one of ${regions.join(', ')} (your account's data centre)` }).optional(),
    /**
     * Explicit upload URL, e.g. `https://api.clevertap.com/1/upload` (CleverTap's
     * own host table lists Europe without a region prefix) or an egress proxy.
     */
    endpoint: z.url({ protocol: /^https?$/, message: 'endpoint must be an http(s) URL, e.g. https://api.clevertap.com/1/upload' }).optional(),
    /** Where `identity` comes from: the email trait (the spec's default), user_id, or the trait named by identity_trait. */
    identity_from: z.enum(identitySources, { message: `identity_from must be one of ${identitySources.join(', ')}` }).default('email'),
    identity_trait: z.string({ message: 'identity_trait must be a trait name, e.g. customer_id' }).trim().min(1, 'identity_trait must not be empty').optional(),
    /** What fills `objectId` when no identity is known: user_id (the spec's table), anonymous_id, or nothing. */
    object_id_from: z.enum(objectIdSources, { message: `object_id_from must be one of ${objectIdSources.join(', ')}` }).default('user_id'),
    /** Events with only an anonymous_id and no identity: drop them (with a reason), or send anonymous_id as objectId. */
    anonymous_events: z.enum(anonymousEventRules, { message: `anonymous_events must be one of ${anonymousEventRules.join(', ')}` }).default('drop'),
  })
  .superRefine((s, ctx) => {
    if (s.region === undefined && s.endpoint === undefined) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: `region is required (one of ${regions.join(', ')}) unless endpoint is set` });
    }
    if (s.identity_from === 'trait' && s.identity_trait === undefined) {
      ctx.addIssue({ code: 'custom', path: ['identity_trait'], message: 'identity_trait is required with identity_from: trait (the trait that holds your customer ID, e.g. customer_id)' });
    }
    if (s.identity_from !== 'trait' && s.identity_trait !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['identity_trait'], message: `identity_trait is only used with identity_from: trait (identity_from is ${s.identity_from})` });
    }
  });

export type CleverTapSettings = z.output<typeof settingsSchema>;

export function regionUploadUrl(region: Region): string {
  return `https://${region}.api.clevertap.com/1/upload`;
}

/** The URL records are POSTed to: `endpoint` wins; a bare host gets `/1/upload` appended. */
export function uploadUrl(settings: Pick<CleverTapSettings, 'region' | 'endpoint'>): string {
  if (settings.endpoint !== undefined) {
    const url = new URL(settings.endpoint);
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/1/upload';
    return url.toString();
  }
  // The schema guarantees region when endpoint is absent.
  return regionUploadUrl(settings.region ?? 'us1');
}

import { z } from 'zod';

/** CleverTap provisions every account in one data region; the region picks the API host. */
export const regions = ['us1', 'in1', 'eu1', 'sg1', 'aps3', 'mec1'] as const;
export type Region = (typeof regions)[number];

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
  })
  .superRefine((s, ctx) => {
    if (s.region === undefined && s.endpoint === undefined) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: `region is required (one of ${regions.join(', ')}) unless endpoint is set` });
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

import { z } from 'zod';

/** Leanplum's one API host; tests and the sandbox redirect it with the HTTP client's host overrides. */
export const LEANPLUM_API_URL = 'https://api.leanplum.com/api';
export const LEANPLUM_API_VERSION = '1.0.6';

/**
 * Money properties are sent as strings with at least two decimals: a JS number
 * loses trailing zeros (6.40 → 6.4), and Leanplum params are display strings.
 */
export const DEFAULT_MONEY_PROPERTIES = ['revenue', 'value', 'price', 'tax', 'shipping', 'discount', 'total', 'subtotal'] as const;

const requiredText = (what: string) =>
  z
    .string({ error: `is required: ${what}` })
    .trim()
    .min(1, `is required: ${what}`);

export const settingsSchema = z
  .object({
    app_id: requiredText('your Leanplum App ID (App Settings > Keys & Settings)'),
    client_key: requiredText('your Leanplum Production client key (App Settings > Keys & Settings)'),
    /** Development keys send data to a separate environment; refuse them unless asked for. */
    allow_development_key: z.boolean({ error: 'must be true or false' }).default(false),
    /** Send up to 500 actions (50 users) per request with `action=multi`. */
    batch: z.boolean({ error: 'must be true or false' }).default(false),
    money_properties: z
      .array(z.string().min(1, 'must not be empty'), { error: 'must be a list of property names' })
      .default([...DEFAULT_MONEY_PROPERTIES]),
  })
  .superRefine((s, ctx) => {
    if (!s.allow_development_key && s.client_key.startsWith('dev_')) {
      ctx.addIssue({
        code: 'custom',
        path: ['client_key'],
        message:
          'is a Development key (starts with dev_): its data lands in a separate environment. Use the Production key, or set allow_development_key: true',
      });
    }
  });

export type LeanplumSettings = z.output<typeof settingsSchema>;
export type LeanplumSettingsInput = z.input<typeof settingsSchema>;

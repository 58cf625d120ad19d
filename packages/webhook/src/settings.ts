import { isSensitiveName, nameRecord } from '@signal/core';
import { z } from 'zod';
import { signingSecretProblem } from './signing.js';
import { hasExpressions, parseTemplate, renderText } from './template.js';

export const contentTypes = ['application/json', 'application/x-www-form-urlencoded'] as const;
export type ContentType = (typeof contentTypes)[number];

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the plugin or the HTTP client owns; setting them by hand would contradict other settings. */
const managedHeaders: Record<string, string> = {
  'content-type': 'set content_type instead',
  'content-length': 'it is computed from the body',
  host: 'it comes from url',
  'transfer-encoding': 'it is set by the HTTP client',
  'x-signal-message-id': 'Signal sets it to the event\'s message_id',
  'webhook-id': 'it is set by signing_secret',
  'webhook-timestamp': 'it is set by signing_secret',
  'webhook-signature': 'it is set by signing_secret',
};

/** Literal header text: tab and visible ASCII with spaces (values from events are percent-encoded instead). */
const headerText = /^[\t\x20-\x7e]*$/;

export interface BasicAuth {
  username: string;
  password: string;
}

interface SplitUrl {
  /** The URL template without `user:pass@`. */
  url: string;
  basicAuth?: BasicAuth;
}

type Split = { ok: true; value: SplitUrl } | { ok: false; message: string };

/**
 * Leanplum-style basic auth: `https://user:pass@host/path`. The credentials
 * are taken out of the URL (so they never reach a log line with it) and sent
 * as an Authorization header; percent-encoding in them is decoded first.
 */
export function splitCredentials(raw: string): Split {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(raw.trim());
  if (m === null) return { ok: false, message: 'must be an absolute http(s) URL, e.g. https://hooks.example.com/signal' };
  const [, scheme = '', authority = '', rest = ''] = m;
  if (!/^https?$/i.test(scheme)) return { ok: false, message: `must use http or https (got "${scheme}:")` };
  if (authority.includes('{{')) return { ok: false, message: 'the host and credentials must be literal: {{ }} is only allowed from the path on' };
  const at = authority.lastIndexOf('@');
  const host = at === -1 ? authority : authority.slice(at + 1);
  if (host === '') return { ok: false, message: 'has no host' };
  const url = `${scheme.toLowerCase()}://${host}${rest}`;
  if (at === -1) return { ok: true, value: { url } };
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
  const pass = colon === -1 ? '' : userinfo.slice(colon + 1);
  try {
    return { ok: true, value: { url, basicAuth: { username: decodeURIComponent(user), password: decodeURIComponent(pass) } } };
  } catch {
    // Say where, never what: the credentials are secret.
    return { ok: false, message: 'has malformed percent-encoding in its user name or password' };
  }
}

const dataValue = z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string (a template), number or boolean' });

export const webhookSettingsSchema = z
  .strictObject({
    url: z
      .string({ error: 'is required: the webhook URL, e.g. https://hooks.example.com/signal/{{ user_id }}' })
      .min(1, 'is required: the webhook URL'),
    method: z.enum(['POST', 'PUT', 'PATCH'], { error: 'must be POST, PUT or PATCH' }).default('POST'),
    content_type: z.enum(contentTypes, { error: 'must be application/json or application/x-www-form-urlencoded' }).default('application/json'),
    /** Key/values sent as the body; values are templates. Without it, the event itself is sent (JSON only). */
    data: nameRecord(dataValue, 'an object of body keys to values').optional(),
    /** Extra headers; values may hold `{{ }}` templates (substituted values are percent-encoded). */
    headers: z.record(z.string(), z.string({ error: 'must be a string' })).default({}),
    /** Signs each request (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256). */
    signing_secret: z.string({ error: 'must be a string: your signing secret' }).optional(),
    batch: z
      .strictObject({
        max_items: z.number().int().min(1).max(1000, 'must be at most 1000').default(100),
        max_bytes: z.number().int().min(1024).max(10_000_000, 'must be at most 10000000').default(1_000_000),
      })
      .optional(),
    max_concurrency: z.number().int().min(1).max(64, 'must be at most 64').default(10),
  })
  .superRefine((s, ctx) => {
    const split = splitCredentials(s.url);
    if (!split.ok) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: split.message });
      return;
    }
    const parsed = parseTemplate(split.value.url);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: `bad template: ${parsed.message}` });
    } else {
      if (!URL.canParse(renderText(parsed.template, {}))) ctx.addIssue({ code: 'custom', path: ['url'], message: 'is not a valid URL' });
      if (s.batch !== undefined && hasExpressions(parsed.template)) {
        ctx.addIssue({ code: 'custom', path: ['batch'], message: 'a batch goes to one URL, so url cannot contain {{ }} when batching' });
      }
    }
    for (const [key, value] of Object.entries(s.data ?? {})) {
      if (key === '') ctx.addIssue({ code: 'custom', path: ['data'], message: 'keys must not be empty' });
      if (typeof value !== 'string') continue;
      const t = parseTemplate(value);
      if (!t.ok) ctx.addIssue({ code: 'custom', path: ['data', key], message: `bad template: ${t.message}` });
    }
    for (const [name, value] of Object.entries(s.headers)) {
      const lower = name.toLowerCase();
      if (!headerName.test(name)) ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'is not a valid header name' });
      else if (managedHeaders[lower] !== undefined) ctx.addIssue({ code: 'custom', path: ['headers', name], message: `cannot be set here: ${managedHeaders[lower]}` });
      else if (lower === 'authorization' && split.value.basicAuth !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'conflicts with the user:password in url; use one or the other' });
      }
      if (/[\r\n\0]/.test(value)) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'must not contain line breaks' });
        continue;
      }
      if (!headerText.test(value)) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'must be printable ASCII text; put other characters in through a {{ }} template (substituted values are percent-encoded)' });
        continue;
      }
      const t = parseTemplate(value);
      if (!t.ok) ctx.addIssue({ code: 'custom', path: ['headers', name], message: `bad template: ${t.message}` });
      else if (s.batch !== undefined && hasExpressions(t.template)) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'a batch is one request with one set of headers, so header values cannot contain {{ }} when batching' });
      }
    }
    if (s.signing_secret !== undefined) {
      const problem = signingSecretProblem(s.signing_secret);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['signing_secret'], message: problem });
    }
    if (s.content_type === 'application/x-www-form-urlencoded') {
      if (s.data === undefined) {
        ctx.addIssue({ code: 'custom', path: ['data'], message: 'is required with application/x-www-form-urlencoded (the event itself can only be sent as JSON)' });
      }
      if (s.batch !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['batch'], message: 'is not possible with application/x-www-form-urlencoded (only a JSON body can carry a list); remove batch or use application/json' });
      }
    }
  })
  .transform((s) => {
    const split = splitCredentials(s.url);
    const { url, basicAuth } = split.ok ? split.value : { url: s.url, basicAuth: undefined };
    const headers = Object.fromEntries(Object.entries(s.headers).map(([name, value]) => [name.toLowerCase(), value]));
    return { ...s, url, headers, ...(basicAuth === undefined ? {} : { basic_auth: basicAuth }) };
  });

export type WebhookSettingsInput = z.input<typeof webhookSettingsSchema>;
/** Parsed settings: `url` has its credentials moved to `basic_auth`, header names are lower case. */
export type WebhookSettings = z.output<typeof webhookSettingsSchema>;

/**
 * Values to mask in logs and the delivery log: the basic-auth password (and
 * its header value), sensitive header values, and literal values of
 * sensitive query parameters (e.g. Leanplum's clientKey, Azure's code), by
 * core's one naming rule (isSensitiveName).
 */
export function secretValuesOf(settings: WebhookSettings): string[] {
  const values: string[] = [];
  if (settings.basic_auth !== undefined) {
    const { username, password } = settings.basic_auth;
    values.push(password, basicAuthHeader(settings.basic_auth).slice('Basic '.length));
    if (password === '') values.push(username);
  }
  for (const [name, value] of Object.entries(settings.headers)) {
    // A templated value comes from each event, not from config: there is no configured secret to mask by value.
    if (isSensitiveName(name) && !value.includes('{{')) values.push(value.replace(/^(Bearer|Basic|Token)\s+/i, ''));
  }
  const query = settings.url.split('#')[0]?.split('?')[1] ?? '';
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (!isSensitiveName(name) || value.includes('{{') || value === '') continue;
    try {
      values.push(decodeURIComponent(value.replace(/\+/g, ' ')));
    } catch {
      values.push(value);
    }
  }
  return values;
}

export function basicAuthHeader(auth: BasicAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}

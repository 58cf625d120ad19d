import { mappingSchema, retryPolicySchema } from '@signal/core';
import { z } from 'zod';

/**
 * The config file's shape, exactly as DESIGN.md documents it. Everything is
 * snake_case; relative paths are relative to the config file's directory.
 */
const id = z
  .string({ error: 'must be a text id, e.g. web' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, "-", "_" or "." (e.g. web, leanplum-eu)');

export const serverSchema = z.strictObject({
  port: z.coerce.number({ error: 'must be a port number, e.g. 8080' }).int().min(0).max(65535).default(8080),
  host: z.string().default('0.0.0.0'),
  /**
   * The credential for /api and /debugger (`Authorization: Bearer <admin_token>`). Unset:
   * `signal start` generates one in the data directory (api/admin-token.ts). Never open without one.
   */
  admin_token: z
    .string({ error: 'must be a text token (use ${ENV_VAR} or ${file:/path} to keep it out of the file)' })
    .min(8, 'must be at least 8 characters')
    .max(512, 'must be at most 512 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it is sent in an HTTP header)')
    .optional(),
  /** Slow-client limits of the collector (defaults and meaning: src/collector/limits.ts, README "HTTP API"). */
  headers_timeout_ms: z.number().int().min(100, 'must be at least 100 (ms)').optional(),
  body_timeout_ms: z.number().int().min(100, 'must be at least 100 (ms)').optional(),
  idle_timeout_ms: z.number().int().min(100, 'must be at least 100 (ms)').optional(),
  max_inflight_body_bytes: z.number().int().min(1024 * 1024, 'must be at least 1048576 (1 MB: twice the largest request body)').optional(),
});

/** Jobs not yet final beyond which the collector answers 503 (default: src/collector/limits.ts). */
const maxBacklog = z.number().int().positive().optional();

const sqliteStorage = z.strictObject({
  driver: z.literal('sqlite'),
  path: z.string().min(1).default('./data/signal.db'),
  /** Finished jobs (and their attempts, events and requests) older than this leave the delivery log. */
  retention_days: z.number().positive().default(7),
  /**
   * message_id dedupes per source over the ids stored in the last `hours`, at most the latest
   * `max_ids` (kept in memory: ~22-28 bytes an id; see the README). Defaults: 24 h, 2,000,000.
   */
  dedupe_window: z
    .strictObject({
      hours: z.number({ error: 'must be a number of hours, e.g. 24' }).positive().max(24 * 365).optional(),
      max_ids: z.number({ error: 'must be a whole number of ids, e.g. 2000000' }).int().min(1).max(200_000_000, 'is at most 200,000,000 (about 5 GB of memory)').optional(),
    })
    .optional(),
  max_backlog: maxBacklog,
});

/** Scale-out spool (NATS JetStream); options beyond `servers` are documented in src/spool/nats.ts. */
const natsStorage = z.strictObject({
  driver: z.literal('nats'),
  servers: z.array(z.string().min(1), { error: 'must be a list of NATS server URLs, e.g. [nats://127.0.0.1:4222]' }).min(1, 'needs at least one server'),
  stream_prefix: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "-" or "_"').optional(),
  duplicate_window_ms: z.number().int().positive().optional(),
  dedupe_window_ms: z.number().int().positive().optional(),
  dedupe_max_ids: z.number().int().min(1_000, 'must be at least 1000').max(100_000_000).optional(),
  replicas: z.number().int().min(1).max(5).optional(),
  name: z.string().min(1).optional(),
  hold_recheck_ms: z.number().int().positive().optional(),
  max_ack_pending: z.number().int().positive().optional(),
  release_on_close: z.boolean().optional(),
  max_backlog: maxBacklog,
});

export const storageSchema = z.discriminatedUnion('driver', [sqliteStorage, natsStorage], {
  error: 'driver must be "sqlite" or "nats"',
});

export const httpSchema = z.strictObject({
  host_overrides: z
    .record(z.string(), z.url({ error: 'must be a URL such as http://127.0.0.1:4010' }))
    .default({}),
  timeout_ms: z.number().int().positive().optional(),
});

export const sourceSchema = z.strictObject({
  id,
  write_key: z.string({ error: 'is required (the key SDKs send; use ${ENV_VAR} to keep it out of the file)' }).min(8, 'must be at least 8 characters'),
});

export const integrationSchema = z.strictObject({
  id,
  plugin: z.string({ error: 'is required: the plugin package, e.g. "@signal/leanplum"' }).min(1),
  preset: z.string().min(1).optional(),
  consent: z.array(z.string().min(1)).default([]),
  settings: z.record(z.string(), z.unknown()).default({}),
  mapping: mappingSchema.optional(),
  retry: retryPolicySchema.partial().strict().optional(),
  concurrency: z.number().int().positive().optional(),
});

export const pipelineSchema = z.strictObject({
  id,
  sources: z.array(id).min(1, 'needs at least one source id'),
  integrations: z.array(id).min(1, 'needs at least one integration id'),
});

export const configSchema = z
  .strictObject({
    server: serverSchema.default({ port: 8080, host: '0.0.0.0' }),
    storage: storageSchema.default({ driver: 'sqlite', path: './data/signal.db', retention_days: 7 }),
    http: httpSchema.default({ host_overrides: {} }),
    sources: z.array(sourceSchema).min(1, 'needs at least one source (an id and a write_key)'),
    integrations: z.array(integrationSchema).default([]),
    pipelines: z.array(pipelineSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    for (const issue of referenceIssues(cfg)) ctx.addIssue({ code: 'custom', ...issue });
  });

type Listed<T> = readonly (T | undefined)[];

/**
 * The checks between sections: unique ids and write keys, and pipelines that
 * name defined sources and integrations. A function of its own so
 * `signal validate` can run it on the entries that are valid when others in
 * the file are not (holes in the lists are entries that failed their schema).
 */
export function referenceIssues(cfg: {
  sources: Listed<{ id: string; write_key?: string | undefined }>;
  integrations: Listed<{ id: string }>;
  pipelines: Listed<{ id: string; sources: string[]; integrations: string[] }>;
}): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const unique = (list: Listed<{ id: string }>, key: 'sources' | 'integrations' | 'pipelines') => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      if (item === undefined) return;
      if (seen.has(item.id)) issues.push({ path: [key, i, 'id'], message: `"${item.id}" is used twice; ids must be unique` });
      seen.add(item.id);
    });
  };
  unique(cfg.sources, 'sources');
  unique(cfg.integrations, 'integrations');
  unique(cfg.pipelines, 'pipelines');
  const keys = new Set<string>();
  cfg.sources.forEach((s, i) => {
    if (s?.write_key === undefined) return;
    if (keys.has(s.write_key)) issues.push({ path: ['sources', i, 'write_key'], message: "is the same as another source's; each source needs its own key" });
    keys.add(s.write_key);
  });
  const sourceIds = cfg.sources.flatMap((s) => (s === undefined ? [] : [s.id]));
  const integrationIds = cfg.integrations.flatMap((s) => (s === undefined ? [] : [s.id]));
  cfg.pipelines.forEach((p, i) => {
    p?.sources.forEach((s, j) => {
      if (!sourceIds.includes(s)) issues.push({ path: ['pipelines', i, 'sources', j], message: `no source has id "${s}"; define it under sources: or fix the id (known: ${sourceIds.join(', ') || 'none'})` });
    });
    p?.integrations.forEach((s, j) => {
      if (!integrationIds.includes(s)) issues.push({ path: ['pipelines', i, 'integrations', j], message: `no integration has id "${s}"; define it under integrations: or fix the id (known: ${integrationIds.join(', ') || 'none'})` });
    });
  });
  return issues;
}

export type SignalConfig = z.output<typeof configSchema>;
export type IntegrationEntry = SignalConfig['integrations'][number];
export type StorageConfig = SignalConfig['storage'];

import { mappingSchema, retryPolicySchema } from '@signal/core';
import { z } from 'zod';

/**
 * The config file's shape, exactly as DESIGN.md documents it. Everything is
 * snake_case; relative paths are relative to the config file's directory.
 */
const id = z
  .string({ error: 'must be a text id, e.g. web' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, "-", "_" or "." (e.g. web, leanplum-eu)');

const serverSchema = z.strictObject({
  port: z.coerce.number({ error: 'must be a port number, e.g. 8080' }).int().min(0).max(65535).default(8080),
  host: z.string().default('0.0.0.0'),
  /** If set, /api/* requires `Authorization: Bearer <admin_token>`. */
  admin_token: z.string().min(8, 'must be at least 8 characters').optional(),
});

const sqliteStorage = z.strictObject({
  driver: z.literal('sqlite'),
  path: z.string().min(1).default('./data/signal.db'),
  /** Finished jobs (and their attempts, events and requests) older than this leave the delivery log. */
  retention_days: z.number().positive().default(7),
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
});

const storageSchema = z.discriminatedUnion('driver', [sqliteStorage, natsStorage], {
  error: 'driver must be "sqlite" or "nats"',
});

const httpSchema = z.strictObject({
  host_overrides: z
    .record(z.string(), z.url({ error: 'must be a URL such as http://127.0.0.1:4010' }))
    .default({}),
  timeout_ms: z.number().int().positive().optional(),
});

const sourceSchema = z.strictObject({
  id,
  write_key: z.string({ error: 'is required (the key SDKs send; use ${ENV_VAR} to keep it out of the file)' }).min(8, 'must be at least 8 characters'),
});

const integrationSchema = z.strictObject({
  id,
  plugin: z.string({ error: 'is required: the plugin package, e.g. "@signal/leanplum"' }).min(1),
  preset: z.string().min(1).optional(),
  consent: z.array(z.string().min(1)).default([]),
  settings: z.record(z.string(), z.unknown()).default({}),
  mapping: mappingSchema.optional(),
  retry: retryPolicySchema.partial().strict().optional(),
  concurrency: z.number().int().positive().optional(),
});

const pipelineSchema = z.strictObject({
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
    const unique = (list: { id: string }[], key: 'sources' | 'integrations' | 'pipelines') => {
      const seen = new Set<string>();
      list.forEach((item, i) => {
        if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [key, i, 'id'], message: `"${item.id}" is used twice; ids must be unique` });
        seen.add(item.id);
      });
    };
    unique(cfg.sources, 'sources');
    unique(cfg.integrations, 'integrations');
    unique(cfg.pipelines, 'pipelines');
    const keys = new Set<string>();
    cfg.sources.forEach((s, i) => {
      if (keys.has(s.write_key)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'write_key'], message: 'is the same as another source\'s; each source needs its own key' });
      keys.add(s.write_key);
    });
    const sourceIds = new Set(cfg.sources.map((s) => s.id));
    const integrationIds = new Set(cfg.integrations.map((s) => s.id));
    cfg.pipelines.forEach((p, i) => {
      p.sources.forEach((s, j) => {
        if (!sourceIds.has(s)) ctx.addIssue({ code: 'custom', path: ['pipelines', i, 'sources', j], message: `no source has id "${s}"; define it under sources: or fix the id (known: ${[...sourceIds].join(', ')})` });
      });
      p.integrations.forEach((s, j) => {
        if (!integrationIds.has(s)) ctx.addIssue({ code: 'custom', path: ['pipelines', i, 'integrations', j], message: `no integration has id "${s}"; define it under integrations: or fix the id (known: ${[...integrationIds].join(', ') || 'none'})` });
      });
    });
  });

export type SignalConfig = z.output<typeof configSchema>;
export type IntegrationEntry = SignalConfig['integrations'][number];
export type StorageConfig = SignalConfig['storage'];

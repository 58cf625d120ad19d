import { describe, expect, it } from 'vitest';
import { defaultProtection, protectionFromConfig } from '../../src/collector/limits.js';
import { loadConfigText } from '../../src/config/index.js';

// The collector's config keys: server.*_timeout_ms, server.max_inflight_body_bytes, storage.max_backlog.
const load = (server: string, storage = 'storage: { driver: sqlite, path: ./x.db }') =>
  loadConfigText(`server: { port: 0${server} }\n${storage}\nsources: [ { id: web, write_key: config-write-key } ]\n`, { file: 'c.yaml', dir: '/tmp', env: {} });

describe('collector config keys', () => {
  it('absent: the documented defaults', async () => {
    const { config } = await load('');
    expect(protectionFromConfig(config)).toEqual({});
    expect(defaultProtection).toEqual({ headersTimeoutMs: 10_000, bodyTimeoutMs: 30_000, idleTimeoutMs: 72_000, maxInflightBodyBytes: 4 * 1024 * 1024, maxBacklog: 10_000_000 });
  });

  it('set: passed to the collector (sqlite and nats storage alike)', async () => {
    const { config } = await load(', headers_timeout_ms: 2000, body_timeout_ms: 5000, idle_timeout_ms: 9000, max_inflight_body_bytes: 8388608', 'storage: { driver: sqlite, path: ./x.db, max_backlog: 500 }');
    expect(protectionFromConfig(config)).toEqual({ headersTimeoutMs: 2_000, bodyTimeoutMs: 5_000, idleTimeoutMs: 9_000, maxInflightBodyBytes: 8 * 1024 * 1024, maxBacklog: 500 });
    const nats = await load('', 'storage: { driver: nats, servers: [nats://127.0.0.1:4222], max_backlog: 7 }');
    expect(protectionFromConfig(nats.config).maxBacklog).toBe(7);
  });

  it('bad values are config errors naming the key and the fix', async () => {
    await expect(load(', body_timeout_ms: 10')).rejects.toThrow(/server\.body_timeout_ms.*at least 100/s);
    await expect(load(', max_inflight_body_bytes: 1000')).rejects.toThrow(/max_inflight_body_bytes.*at least 1048576/s);
    await expect(load('', 'storage: { driver: sqlite, max_backlog: -1 }')).rejects.toThrow(/storage\.max_backlog/);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@signal/core';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../../src/api/server.js';
import type { CollectorProtection } from '../../../src/collector/limits.js';
import { IngestFeed, type RejectedRequest } from '../../../src/collector/ingest-feed.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { openSqliteSpool } from '../../../src/spool/sqlite.js';
import type { Spool } from '../../../src/spool/types.js';

export const KEY = 'web-write-key-1';
export const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg?: string;
}

/** A logger that keeps every line (the oracle for "a log line per rejection"). */
export function captureLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg?: string) => void lines.push({ level, obj, ...(msg === undefined ? {} : { msg }) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface TestCollector {
  base: string;
  port: number;
  app: FastifyInstance;
  spool: Spool;
  rejections: RejectedRequest[];
  logger: ReturnType<typeof captureLogger>;
  /** Events stored, by message id (read through the spool's own delivery log API). */
  close(): Promise<void>;
}

/** The collector over real HTTP on port 0, on a real SQLite spool (optionally wrapped to fail). */
export async function startCollector(options: { protection?: Partial<CollectorProtection>; wrap?: (spool: Spool) => Spool } = {}): Promise<TestCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'signal-collector-'));
  const real = openSqliteSpool({ path: join(dir, 'signal.db') });
  const spool = options.wrap ? options.wrap(real) : real;
  const feed = new IngestFeed();
  const rejections: RejectedRequest[] = [];
  feed.on((r) => void rejections.push(r));
  const logger = captureLogger();
  const app = buildServer({
    spool,
    metrics: createMetrics(spool),
    sources: new Map([[KEY, 'web']]),
    routes: new Map([['web', ['acme', 'webhook']]]),
    rejections: feed,
    logger,
    ...(options.protection === undefined ? {} : { protection: options.protection }),
    engine: { wake: () => {}, paused: () => ({}), resume: () => {}, running: () => true },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    app,
    spool,
    rejections,
    logger,
    close: async () => {
      await app.close();
      await real.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/** A raw TCP client: sends `head`, then whatever the test writes; resolves with the first response, or undefined if the connection closes without one. */
export function rawRequest(port: number, head: string): { socket: Socket; response: Promise<RawResponse | undefined>; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let data = '';
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const response = new Promise<RawResponse | undefined>((resolve) => {
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return;
      const headers = data.slice(0, end);
      const length = Number(/content-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
      if (data.length - end - 4 < length) return;
      resolve({ status: Number(headers.slice(9, 12)), headers, body: data.slice(end + 4, end + 4 + length) });
    });
    socket.once('close', () => resolve(undefined));
  });
  socket.write(head);
  return { socket, response, closed };
}

/** Sequential ids that never collide across tests of one file. */
let seq = 0;
export const nextId = (prefix = 'm') => `${prefix}-${process.pid}-${++seq}`;
export const track = (over: Record<string, unknown> = {}) => ({ event: 'Order Completed', userId: 'u1', messageId: nextId(), properties: { revenue: 10 }, ...over });

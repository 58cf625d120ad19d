import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, createIntegration, deliverAll, parseEvent, type EventInput, type HttpClient, type IntegrationConfig, type SignalEvent } from '@signal/core';
import plugin from '../src/index.js';

/** What the fake Leanplum received: the independent oracle for these tests. */
export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: unknown };

export interface FakeLeanplum {
  url: string;
  requests: Recorded[];
  respond(handler: (req: Recorded) => Reply): void;
  close(): Promise<void>;
}

export const ok = (): Reply => ({ status: 200, body: { response: [{ success: true }] } });

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeLeanplum(handler: (req: Recorded) => Reply = ok): Promise<FakeLeanplum> {
  let current = handler;
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded: Recorded = { method: req.method ?? '', path: url.pathname + url.search, query: Object.fromEntries(url.searchParams), headers: req.headers, body };
      requests.push(recorded);
      const reply = current(recorded);
      const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (h) => {
      current = h;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const settings = { app_id: 'app_XXXX', client_key: 'prod_XXXX' };

export function event(input: Omit<EventInput, 'message_id' | 'timestamp'> & Partial<Pick<EventInput, 'message_id' | 'timestamp'>>): SignalEvent {
  const parsed = parseEvent({ timestamp: '2025-06-06T09:00:00Z', ...input }, { generateId: () => 'msg-1' });
  if (!parsed.ok) throw new Error(`bad fixture: ${JSON.stringify(parsed.issues)}`);
  return parsed.event;
}

/** Delivers events through a Leanplum integration to the fake server. */
export async function deliver(fake: FakeLeanplum, events: SignalEvent[], config: Partial<IntegrationConfig> = {}) {
  const http: HttpClient = createHttpClient({ hostOverrides: { '*': fake.url }, timeoutMs: 5_000 });
  try {
    const integration = createIntegration(plugin, { settings, ...config });
    return await deliverAll(integration, events, http);
  } finally {
    await http.close();
  }
}

export const form = (req: Recorded): [string, string][] => [...new URLSearchParams(req.body)];

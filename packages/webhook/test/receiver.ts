import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, createIntegration, deliverAll, parseEvent, type EventInput, type HttpClient, type SignalEvent } from '@signal/core';
import webhook from '../src/index.js';

/** What the receiving server saw: the independent oracle for these tests. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string };

export interface Receiver {
  url: string;
  requests: Received[];
  reply(handler: (req: Received) => Reply): void;
  http: HttpClient;
  close(): Promise<void>;
}

/** A local HTTP server standing in for the webhook's receiver; every host is routed to it. */
export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  let handler: (req: Received) => Reply = () => ({ status: 200, body: 'ok' });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(received);
      const reply = handler(received);
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const http = createHttpClient({ hostOverrides: { '*': url }, timeoutMs: 2_000 });
  return {
    url,
    requests,
    http,
    reply: (h) => {
      handler = h;
    },
    async close() {
      await http.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let counter = 0;
/** A valid canonical event with a fixed timestamp and message id. */
export function event(input: Partial<EventInput> & Record<string, unknown>): SignalEvent {
  counter += 1;
  const parsed = parseEvent({ message_id: `m-${counter}`, timestamp: '2025-06-06T09:00:00.000Z', ...input }, { receivedAt: new Date('2025-06-06T09:00:01.000Z') });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.event;
}

export async function deliver(settings: unknown, events: SignalEvent[], receiver: Receiver, mapping?: Parameters<typeof createIntegration>[1]['mapping']) {
  const integration = createIntegration(webhook, { settings, ...(mapping === undefined ? {} : { mapping }) });
  return deliverAll(integration, events, receiver.http);
}

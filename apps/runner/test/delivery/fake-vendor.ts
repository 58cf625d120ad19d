import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny node:http fake vendor with the same shape as @signal/core/testkit's
 * startFakeVendor (swap to it once it lands): records every request, answers
 * with a programmable handler, and can time out or reset the connection.
 */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  json?: unknown;
  /** Requests already being handled when this one arrived (concurrency oracle). */
  concurrent: number;
}

export type FakeResponse = { status: number; headers?: Record<string, string>; body?: unknown } | { fault: 'timeout' | 'reset' };
export type FakeHandler = (request: RecordedRequest, index: number) => FakeResponse | Promise<FakeResponse>;

export interface FakeVendor {
  url: string;
  requests: RecordedRequest[];
  respond(handler: FakeHandler): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeVendor(handler: FakeHandler = () => ({ status: 200, body: {} })): Promise<FakeVendor> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  let active = 0;
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const concurrent = active++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      let json: unknown;
      try {
        json = body === '' ? undefined : JSON.parse(body);
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers, body, json, concurrent };
      requests.push(recorded);
      void Promise.resolve(current(recorded, requests.length - 1)).then((answer) => {
        const finish = () => {
          active--;
        };
        if ('fault' in answer) {
          if (answer.fault === 'reset') {
            finish();
            req.socket.destroy();
          } else {
            hanging.add(res);
            res.on('close', () => {
              hanging.delete(res);
              finish();
            });
          }
          return;
        }
        const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(text, finish);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(h) {
      current = h;
    },
    reset() {
      requests.length = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

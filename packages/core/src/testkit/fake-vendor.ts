import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A local stand-in for a vendor API: records every request (the independent
 * oracle for what a plugin sent) and answers as told, including faults.
 */
export type FakeResponse =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { fault: 'timeout' | 'reset' };

export interface RecordedRequest {
  method: string;
  /** Path with query string, as received. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Decoded body (gunzipped when Content-Encoding: gzip). */
  body: string;
  /** Raw bytes as received. */
  rawBody: Buffer;
  /** Requests already being handled when this one arrived (an oracle for concurrency limits). */
  concurrent: number;
  json<T = unknown>(): T;
  form(): Record<string, string>;
}

/** `index`: this request's position among all requests received (0-based). */
export type FakeHandler = (req: RecordedRequest, index: number) => FakeResponse | Promise<FakeResponse>;

export interface FakeVendor {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  requests: RecordedRequest[];
  respond(handler: FakeHandler): void;
  /** Forget recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

const defaultHandler: FakeHandler = () => ({ status: 200, body: { success: true } });

function record(req: IncomingMessage, raw: Buffer, concurrent: number): RecordedRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  const path = req.url ?? '/';
  const url = new URL(path, 'http://fake.local');
  const decoded = headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
  const body = decoded.toString('utf8');
  return {
    method: req.method ?? 'GET',
    path,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
    rawBody: raw,
    concurrent,
    json: <T>() => JSON.parse(body) as T,
    form: () => Object.fromEntries(new URLSearchParams(body)),
  };
}

export async function startFakeVendor(handler: FakeHandler = defaultHandler): Promise<FakeVendor> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let active = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const concurrent = active++;
    // Done when the answer is written or the connection goes (reset, timeout, client gave up).
    let done = false;
    const finish = () => {
      if (!done) active--;
      done = true;
    };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const recorded = record(req, Buffer.concat(chunks), concurrent);
        requests.push(recorded);
        let answer: FakeResponse;
        try {
          answer = await current(recorded, requests.length - 1);
        } catch (error) {
          answer = { status: 500, body: { error: String(error) } };
        }
        if ('fault' in answer) {
          if (answer.fault === 'reset') req.socket.destroy();
          return; // timeout: never answer; the socket is destroyed on close()
        }
        const isText = typeof answer.body === 'string';
        const payload = answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body);
        res.writeHead(answer.status, {
          'content-type': isText ? 'text/plain' : 'application/json',
          ...answer.headers,
        });
        res.end(payload, finish);
      })();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
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
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A minimal recording vendor server with the same shape as
 * `startFakeVendor` from @signal/core/testkit: the tests' independent oracle
 * is what this server received, never what the plugin says it sent.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Raw bytes as received (still gzipped if the request was). */
  raw: Buffer;
  /** Body text, gunzipped when Content-Encoding is gzip. */
  body: string;
  json<T = unknown>(): T;
}

export type FakeResponse = { status: number; headers?: Record<string, string>; body?: unknown };

export interface FakeVendor {
  url: string;
  requests: RecordedRequest[];
  respond(handler: (req: RecordedRequest) => FakeResponse): void;
  close(): Promise<void>;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startRecordingVendor(handler: (req: RecordedRequest) => FakeResponse = () => ({ status: 202 })): Promise<FakeVendor> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    void readAll(req).then((raw) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const body = (headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers, raw, body, json: () => JSON.parse(body) };
      requests.push(recorded);
      const answer = current(recorded);
      const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

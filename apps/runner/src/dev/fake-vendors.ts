import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { faultDelayMs, faultReply, normalAnswer, type VendorFault, type VendorReply } from './faults.js';

/**
 * Loopback stand-ins for the vendors, answering as the real APIs do on
 * success, so `signal dev` shows real mapping and classification with no
 * accounts. They live in the runner (not the test kit) because the CLI must
 * not depend on vitest at run time.
 */
export interface FakeVendor {
  name: 'leanplum' | 'clevertap' | 'launchdarkly' | 'webhook';
  url: string;
  /** Requests received, newest last (capped). */
  received: { method: string; path: string; body: string }[];
  /** How it answers now (set from the debugger in `signal dev`). */
  fault: VendorFault;
}

export interface FakeVendors {
  vendors: FakeVendor[];
  close(): Promise<void>;
}

type Reply = VendorReply;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const answers: Record<FakeVendor['name'], (req: IncomingMessage, body: string) => Reply> = {
  // One entry per action: a single track, or `data[]` of action=multi.
  leanplum: (_req, body) => {
    const data = (safeJson(body) as { data?: unknown[] } | undefined)?.data;
    const n = Array.isArray(data) ? data.length : 1;
    return { status: 200, body: { response: Array.from({ length: n }, () => ({ success: true })) } };
  },
  clevertap: (_req, body) => {
    const d = (safeJson(body) as { d?: unknown[] } | undefined)?.d;
    return { status: 200, body: { status: 'success', processed: Array.isArray(d) ? d.length : 0, unprocessed: [] } };
  },
  launchdarkly: () => ({ status: 202 }),
  webhook: () => ({ status: 200, body: { ok: true } }),
};

async function startOne(name: FakeVendor['name'], port: number): Promise<{ vendor: FakeVendor; server: Server }> {
  const vendor: FakeVendor = { name, url: '', received: [], fault: normalAnswer };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      vendor.received.push({ method: req.method ?? 'GET', path: req.url ?? '/', body });
      if (vendor.received.length > 200) vendor.received.shift();
      const { fault } = vendor;
      const answer = () => {
        const reply = faultReply(fault) ?? answers[name](req, body);
        if (res.destroyed) return;
        if (reply.body === undefined) res.writeHead(reply.status, reply.headers).end();
        else res.writeHead(reply.status, { ...reply.headers, 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
      };
      const delay = faultDelayMs(fault);
      if (delay === 0) answer();
      else setTimeout(answer, delay).unref();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as { port: number };
  vendor.url = `http://127.0.0.1:${address.port}`;
  return { vendor, server };
}

/** Starts all four fakes on free loopback ports. */
export async function startFakeVendors(): Promise<FakeVendors> {
  const started = await Promise.all((['leanplum', 'clevertap', 'launchdarkly', 'webhook'] as const).map((name) => startOne(name, 0)));
  return {
    vendors: started.map((s) => s.vendor),
    close: async () => {
      await Promise.all(
        started.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.server.close(() => resolve());
              // Keep-alive sockets and a slow answer still pending must not hold close() up.
              s.server.closeAllConnections();
            }),
        ),
      );
    },
  };
}

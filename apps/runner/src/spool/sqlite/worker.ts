import { parentPort, workerData } from 'node:worker_threads';
import type { Request, Response, StoreOptions } from './protocol.js';
import { openStore, type Store } from './store.js';

/**
 * The writer thread: owns the spool's one connection, so commits (and their fsync), claims and
 * results never block the main thread's event loop. Requests that arrive while a batch runs are
 * queued by the port and all taken by the next batch: its appends commit together (group
 * commit), and claims and results run in the same batch, so none waits behind a stream of appends.
 */
const port = parentPort!;
let store: Store | undefined;
let openError: string | undefined;
try {
  store = openStore(workerData as StoreOptions);
} catch (error) {
  openError = `cannot open the SQLite spool at ${(workerData as StoreOptions).path}: ${(error as Error).message}`;
}

let queue: Request[] = [];
let scheduled = false;

const drain = (): void => {
  scheduled = false;
  const batch = queue;
  queue = [];
  if (store === undefined) {
    port.postMessage(batch.map((r): Response => ({ id: r.id, ok: false, error: openError ?? 'the spool is closed' })));
    return;
  }
  store.process(batch, (responses) => port.postMessage(responses));
  if (batch.some((r) => r.op === 'close')) {
    store.close();
    store = undefined;
    openError = 'the spool is closed';
    port.close();
  }
};

port.on('message', (requests: Request[]) => {
  queue.push(...requests);
  if (!scheduled) {
    scheduled = true;
    // After the port delivered every message already waiting: one batch takes them all.
    setImmediate(drain);
  }
});

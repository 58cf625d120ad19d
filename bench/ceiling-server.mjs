// Reference servers for `--only ceiling`, each in its own process like the runner:
//   naive — the "naive durable ceiling": node:http, JSON.parse, better-sqlite3 in WAL mode with
//           synchronous=FULL, one transaction per event-loop turn (every request that arrived in it)
//           inserting into events(seq INTEGER PRIMARY KEY, message_id TEXT UNIQUE, body TEXT) plus one
//           job row per event; 200 only after the commit. No validation, no traits, no dedupe window.
//   bare  — node:http + JSON.parse, no storage.
// argv[2]: JSON { mode: 'naive'|'bare', dir }. IPC: sends { ready, url, pid }; 'stop' closes it.
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const opts = JSON.parse(process.argv[2]);
const Database = createRequire(join(here, '../apps/runner/package.json'))('better-sqlite3');

let store = () => Promise.resolve();
if (opts.mode === 'naive') {
  const db = new Database(join(opts.dir, 'naive.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, message_id TEXT UNIQUE, body TEXT);
           CREATE TABLE jobs (id INTEGER PRIMARY KEY, event_seq INTEGER NOT NULL, state TEXT NOT NULL)`);
  const insertEvent = db.prepare('INSERT OR IGNORE INTO events (message_id, body) VALUES (?, ?)');
  const insertJob = db.prepare("INSERT INTO jobs (event_seq, state) VALUES (?, 'pending')");
  const commit = db.transaction((events) => {
    for (const e of events) {
      const info = insertEvent.run(e.messageId, JSON.stringify(e));
      if (info.changes > 0) insertJob.run(info.lastInsertRowid);
    }
  });
  let waiting = [];
  store = (events) =>
    new Promise((resolve, reject) => {
      if (waiting.length === 0) {
        setImmediate(() => {
          const turn = waiting;
          waiting = [];
          try {
            commit(turn.flatMap((w) => w.events));
            for (const w of turn) w.resolve();
          } catch (error) {
            for (const w of turn) w.reject(error);
          }
        });
      }
      waiting.push({ events, resolve, reject });
    });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end('{"success":false}');
      return;
    }
    const events = Array.isArray(body.batch) ? body.batch : [body];
    store(events).then(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}'),
      () => res.writeHead(503).end('{"success":false}'),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ ready: true, url: `http://127.0.0.1:${server.address().port}`, pid: process.pid }));
let cpuAtMark = process.cpuUsage();
process.on('message', (m) => {
  if (m?.cmd === 'stop') {
    server.closeAllConnections();
    server.close(() => process.send({ id: m.id, ok: true }, () => process.exit(0)));
  }
  if (m?.cmd === 'mark') {
    cpuAtMark = process.cpuUsage();
    process.send({ id: m.id, ok: true });
  }
  // CPU seconds (user+system) since the last mark, as runner-child.mjs answers.
  if (m?.cmd === 'cpu') {
    const u = process.cpuUsage(cpuAtMark);
    process.send({ id: m.id, ok: true, cpuSec: (u.user + u.system) / 1e6 });
  }
});
process.on('disconnect', () => process.exit(0));

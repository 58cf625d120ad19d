// A minimal fake CleverTap Upload API (node:http, its own process so it does not share the
// runner's event loop). Answers every POST with {"status":"success","processed":n,"unprocessed":[]}
// and counts the records it received: the benchmark's independent oracle for "delivered".
// IPC: parent sends 'count' → replies { received, distinct, requests }.
import http from 'node:http';

let received = 0;
let requests = 0;
const seen = new Set(); // evtData.seq values: tells duplicates from distinct deliveries

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let n = 0;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const records = Array.isArray(body.d) ? body.d : [];
      n = records.length;
      for (const r of records) {
        const seq = r.evtData?.seq;
        if (seq !== undefined) seen.add(seq);
      }
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"status":"fail","error":"bad json"}');
      return;
    }
    received += n;
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"status":"success","processed":${n},"unprocessed":[]}`);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ ready: true, url: `http://127.0.0.1:${server.address().port}` }));
process.on('message', (m) => {
  if (m === 'count') process.send({ received, distinct: seen.size, requests });
  if (m === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));

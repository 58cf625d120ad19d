// The benchmark's fake vendors (node:http, their own process so they do not share the runner's event
// loop), and its independent oracle for "delivered":
//   CleverTap Upload API — a body {"d":[records]}: answers {"status":"success","processed":n,"unprocessed":[]};
//   a webhook receiver   — any other JSON body is one event: answers 200 {"ok":true} at once.
// Counts the records received, and distinct ones by the bench's properties.seq (CleverTap: evtData.seq),
// which tells duplicates from distinct deliveries.
// IPC: parent sends 'count' → replies { received, distinct, requests }; 'stop' ends it.
import http from 'node:http';

let received = 0;
let requests = 0;
const seen = new Set();

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"status":"fail","error":"bad json"}');
      return;
    }
    requests++;
    if (Array.isArray(body?.d)) {
      received += body.d.length;
      for (const r of body.d) if (r.evtData?.seq !== undefined) seen.add(r.evtData.seq);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"status":"success","processed":${body.d.length},"unprocessed":[]}`);
      return;
    }
    received++;
    const seq = body?.properties?.seq ?? body?.event?.properties?.seq;
    if (seq !== undefined) seen.add(seq);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ ready: true, url: `http://127.0.0.1:${server.address().port}` }));
process.on('message', (m) => {
  if (m === 'count') process.send({ received, distinct: seen.size, requests });
  if (m === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));

// What recording one delivered job costs in the SQLite file, index by index: the results' finishMany
// UPDATE alone (no writer thread, no attempt_log row), on `--jobs` pending jobs of one integration,
// 1,000 per transaction, checkpoints off so the WAL's growth is the bytes written per job.
// Variants drop or redefine one index, to price it:
//   node bench/build-head.mjs; node bench/result-cost.mjs [--jobs 100000] [--variants base,nofinal,nodue]
//   base: the schema as shipped; nofinal: without jobs_final; nodue: without jobs_due;
//   final-in: jobs_final over an IN list of final states; final-full: jobs_final not partial.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { store: { type: 'string', default: 'bench/.build/store.mjs' }, jobs: { type: 'string', default: '100000' }, variants: { type: 'string', default: 'base,nofinal,nodue,base,nofinal,nodue' } } });
const { openDatabase } = await import(pathToFileURL(resolve(values.store)).href);
const jobs = Number(values.jobs);
const variants = {
  base: [],
  nofinal: ['DROP INDEX jobs_final'],
  nodue: ['DROP INDEX jobs_due'],
  'final-in': ['DROP INDEX jobs_final', "CREATE INDEX jobs_final ON jobs(integration, state, id) WHERE state IN ('delivered', 'rejected', 'dropped', 'dead')"],
  'final-full': ['DROP INDEX jobs_final', 'CREATE INDEX jobs_final ON jobs(integration, state, id)'],
};
// The statement as results.ts writes it (finishMany).
const finishSql = `UPDATE jobs SET state = ?, attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?), next_at = COALESCE(?, next_at),
  lease_until = NULL, updated_at = ?, last_result = ?, batch_key = NULL,
  history = CASE WHEN history IS NULL THEN d.value ->> 1 ELSE history || ',' || (d.value ->> 1) END
  FROM json_each(?) AS d WHERE jobs.id = d.value ->> 0`;

for (const name of values.variants.split(',')) {
  if (!(name in variants)) throw new Error(`unknown variant ${name}; known: ${Object.keys(variants).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'signal-result-cost-'));
  const path = join(dir, 'spool.db');
  const db = openDatabase({ path });
  for (const sql of variants[name]) db.exec(sql);
  const insert = db.prepare(`INSERT INTO jobs (event_seq, integration, message_id, user_key, event_type, event_name, state, next_at, created_at, updated_at)
    VALUES (?, 'clevertap', ?, ?, 'track', 'Product Viewed', 'pending', 1, 1, 1)`);
  db.transaction(() => {
    for (let i = 1; i <= jobs; i++) insert.run(i, randomUUID(), `u:user-${i % 20_000}`);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  const finish = db.prepare(finishSql);
  const started = performance.now();
  for (let b = 0; b < jobs / 1000; b++) {
    const refs = [];
    for (let i = 1; i <= 1000; i++) refs.push([b * 1000 + i, `${b + 1}:${i - 1}`]);
    db.transaction(() => finish.run('delivered', 2, null, 2, '{"status":"delivered"}', JSON.stringify(refs)))();
  }
  const ms = performance.now() - started;
  const walBytes = statSync(`${path}-wal`).size;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`${name.padEnd(10)} ${((ms * 1000) / jobs).toFixed(2)} µs/job, WAL ${(walBytes / jobs).toFixed(0)} bytes/job`);
}

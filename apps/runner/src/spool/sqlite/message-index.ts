import type Database from 'better-sqlite3';
import { idHash } from './id-hash.js';
import { keyBucketSize } from './schema.js';

/**
 * Finding events by message id (the delivery log's event detail, replay by id) without a
 * random-key index that every append would write into. Seqs are cut into runs of
 * `keyBucketSize`; once a run is complete, its (id_hash, seq) pairs are written to event_keys
 * in one sorted insert, at the end of that B-tree. A lookup probes each run (one seek each) and
 * scans the unindexed tail (under one run of rows, the newest, usually cached).
 */
export interface MessageIndex {
  /** Indexes every complete run below `lastSeq` not indexed yet (inside the append transaction). */
  catchUp(lastSeq: number): void;
  /** Seqs of events whose message id hashes like this one's, newest first (confirm against the row). */
  seqsOf(messageId: string): number[];
  /** Seqs below this are in event_keys. */
  readonly indexedBelow: number;
  /** Re-reads the watermark (after a rolled-back transaction). */
  reload(): void;
}

export function createMessageIndex(db: Database.Database): MessageIndex {
  const q = {
    watermark: db.prepare<[], { value: number }>(`SELECT value FROM spool_meta WHERE key = 'keys_indexed_below'`),
    setWatermark: db.prepare(`UPDATE spool_meta SET value = ? WHERE key = 'keys_indexed_below'`),
    indexRuns: db.prepare(
      `INSERT OR IGNORE INTO event_keys (bucket, id_hash, seq)
       SELECT seq / ${keyBucketSize}, id_hash, seq FROM events WHERE seq >= ? AND seq < ? ORDER BY seq / ${keyBucketSize}, id_hash, seq`,
    ),
    firstRun: db.prepare<[], { bucket: number | null }>('SELECT MIN(bucket) AS bucket FROM event_keys'),
    // One seek per run: a recursive count over the run numbers joined on the primary key.
    probeRuns: db.prepare<[{ first: number; last: number; hash: number }], { seq: number }>(
      `WITH RECURSIVE runs(n) AS (SELECT @first UNION ALL SELECT n + 1 FROM runs WHERE n < @last)
       SELECT k.seq FROM runs JOIN event_keys k ON k.bucket = runs.n AND k.id_hash = @hash`,
    ),
    scanTail: db.prepare<[number, number], { seq: number }>('SELECT seq FROM events WHERE seq >= ? AND id_hash = ?'),
  };
  let indexedBelow = q.watermark.get()?.value ?? 0;

  return {
    get indexedBelow() {
      return indexedBelow;
    },
    reload() {
      indexedBelow = q.watermark.get()?.value ?? 0;
    },
    catchUp(lastSeq) {
      const complete = Math.floor((lastSeq + 1) / keyBucketSize) * keyBucketSize;
      if (complete <= indexedBelow) return;
      q.indexRuns.run(indexedBelow, complete);
      q.setWatermark.run(complete);
      indexedBelow = complete;
    },
    seqsOf(messageId) {
      const hash = idHash(messageId);
      const seqs = q.scanTail.all(indexedBelow, hash).map((r) => r.seq);
      const first = q.firstRun.get()?.bucket;
      if (first !== null && first !== undefined && indexedBelow > 0) {
        for (const r of q.probeRuns.all({ first, last: indexedBelow / keyBucketSize - 1, hash })) seqs.push(r.seq);
      }
      return seqs.sort((a, b) => b - a);
    },
  };
}

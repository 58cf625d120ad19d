/**
 * The one batching rule: split prepared records, in order, into chunks that
 * respect a destination's limits (items, serialized bytes, distinct users).
 */
export interface BatchLimits {
  /** Most records in one request (1 = no batching). */
  maxBatchItems: number;
  /** Largest request body, in bytes, estimated from the records' JSON size. */
  maxBatchBytes?: number;
  /** Most distinct users in one request (Leanplum multi: 50). */
  maxDistinctUsers?: number;
}

export interface Sized {
  bytes: number;
  userKey: string;
}

export function chunkByLimits<T extends Sized>(items: readonly T[], limits: BatchLimits): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  let users = new Set<string>();
  for (const item of items) {
    const newUser = !users.has(item.userKey);
    const full =
      current.length >= limits.maxBatchItems ||
      (limits.maxBatchBytes !== undefined && current.length > 0 && bytes + item.bytes > limits.maxBatchBytes) ||
      (limits.maxDistinctUsers !== undefined && newUser && users.size >= limits.maxDistinctUsers);
    if (full && current.length > 0) {
      chunks.push(current);
      current = [];
      bytes = 0;
      users = new Set();
    }
    current.push(item);
    bytes += item.bytes;
    users.add(item.userKey);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

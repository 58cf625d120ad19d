import type { FieldIssue } from '@signal/core';

/** Why the collector answered 503 (the `reason` label of signal_collector_unavailable_total). */
export type UnavailableReason = 'storage' | 'backlog' | 'overload';

/** A refused ingest request: what the client is told, and what the log and the debugger see. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    /** The client-facing reason: field paths and limits, never a body value or the write key. */
    readonly error: string,
    readonly options: {
      issues?: FieldIssue[];
      retryAfterSeconds?: number;
      unavailable?: UnavailableReason;
      /** Close the connection after answering: the body was not (fully) read. */
      close?: boolean;
      /** The client went away mid-body: nobody hears the answer, so it is counted but not logged. */
      clientGone?: boolean;
    } = {},
  ) {
    super(error);
  }

  get issues(): FieldIssue[] {
    return this.options.issues ?? [];
  }
}

/** The first issues of a list, as one line (the `error` of a 400). */
export function issuesText(issues: FieldIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
}

import { SignalError } from '@signal/core';

/** The JetStream spool could not do what was asked (server unreachable, stream misconfigured, lease lost). */
export class NatsSpoolError extends SignalError {
  readonly kind = 'spool';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(cause === undefined ? message : `${message}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** JetStream's "wrong last sequence" (an expected-last-subject-sequence check failed). */
export const wrongLastSequence = 10071;

export function apiErrorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

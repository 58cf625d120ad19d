import { SignalError } from '@signal/core';

/** The spool could not store or read jobs (disk full, corrupt file, closed). The collector answers 503. */
export class SpoolError extends SignalError {
  readonly kind = 'spool';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

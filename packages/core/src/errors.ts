import type { DeliveryResult } from './results.js';

/**
 * Typed errors (as in Segment's action-destinations): the class says how the
 * runner treats the failure, and the delivery log shows the class name.
 * Each carries a `kind` so checks work across duplicated module instances.
 */
export abstract class SignalError extends Error {
  abstract readonly kind: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The event cannot be sent as it is (bad or oversized field). Permanent, per event. */
export class PayloadValidationError extends SignalError {
  readonly kind = 'payload_validation';
  constructor(
    message: string,
    readonly code = 'invalid_payload',
  ) {
    super(message);
  }
}

/** Transient failure; try again. */
export class RetryableError extends SignalError {
  readonly kind = 'retryable';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Not sent on purpose (e.g. CleverTap has no identity for an anonymous visitor and the settings say drop). Per event, final: `dropped` with the reason. */
export class DropEventError extends SignalError {
  readonly kind = 'dropped';
}

/** Bad credentials or account configuration: pause the integration. */
export class InvalidAuthError extends SignalError {
  readonly kind = 'invalid_auth';
}

/** Settings or config failed validation. `issues` name each field and what is wrong. */
export class SettingsError extends SignalError {
  readonly kind = 'settings';
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** The plugin broke its contract (e.g. wrong number of results). A bug, not a vendor failure. */
export class ContractError extends SignalError {
  readonly kind = 'contract';
}

/** Maps a thrown error to a delivery result; unknown errors are permanent (safe default: never loop). */
export function resultFromError(error: unknown): DeliveryResult {
  const kind = (error as { kind?: unknown } | null)?.kind;
  const message = error instanceof Error ? error.message : String(error);
  switch (kind) {
    case 'payload_validation':
      return { status: 'rejected', code: (error as PayloadValidationError).code, message };
    case 'retryable': {
      const after = (error as RetryableError).retryAfterMs;
      return after === undefined ? { status: 'retry', reason: message } : { status: 'retry', reason: message, retryAfterMs: after };
    }
    case 'invalid_auth':
      return { status: 'auth', message };
    case 'dropped':
      return { status: 'dropped', reason: message };
    default:
      return { status: 'rejected', code: 'plugin_error', message };
  }
}

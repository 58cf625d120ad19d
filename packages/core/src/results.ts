/**
 * The outcome of delivering one event to one integration. A closed union:
 * the runner's job states follow from it one to one.
 */
export type DeliveryResult =
  /** Vendor stored it. `warning`: accepted with a caveat (e.g. Leanplum "User not found"). */
  | { status: 'delivered'; warning?: string }
  /** Transient: try again later, not before `retryAfterMs`. */
  | { status: 'retry'; reason: string; retryAfterMs?: number }
  /** Permanent: the payload is bad; retrying cannot help. */
  | { status: 'rejected'; code: string; message: string }
  /** Credentials or account configuration are wrong: pause the integration. */
  | { status: 'auth'; message: string }
  /** Not sent on purpose (unmapped by the preset, or no consent). */
  | { status: 'dropped'; reason: string };

export type DeliveryStatus = DeliveryResult['status'];

export const delivered = (warning?: string): DeliveryResult =>
  warning === undefined ? { status: 'delivered' } : { status: 'delivered', warning };
export const retry = (reason: string, retryAfterMs?: number): DeliveryResult =>
  retryAfterMs === undefined ? { status: 'retry', reason } : { status: 'retry', reason, retryAfterMs };
export const rejected = (code: string, message: string): DeliveryResult => ({ status: 'rejected', code, message });
export const authFailure = (message: string): DeliveryResult => ({ status: 'auth', message });
export const dropped = (reason: string): DeliveryResult => ({ status: 'dropped', reason });

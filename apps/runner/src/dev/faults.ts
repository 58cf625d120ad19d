import { z } from 'zod';

/**
 * How a `signal dev` fake vendor answers, set from the debugger, so a newcomer can watch
 * each failure path: 500 → retry (and, with the sandbox's short retry policy, a dead letter),
 * 429 → retry no sooner than Retry-After, 401 → the integration pauses, slow → requests stay
 * in flight (and past `http.timeout_ms` become network errors, retried).
 */
export const vendorFaultSchema = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ mode: z.literal('normal') }),
    z.strictObject({ mode: z.literal('error') }),
    z.strictObject({ mode: z.literal('rate-limit'), retry_after_s: z.number().int().min(1).max(300).default(5) }),
    z.strictObject({ mode: z.literal('unauthorized') }),
    z.strictObject({ mode: z.literal('slow'), delay_ms: z.number().int().min(100).max(120_000).default(3_000) }),
  ],
  { error: 'mode must be one of: normal, error, rate-limit, unauthorized, slow' },
);
export type VendorFault = z.output<typeof vendorFaultSchema>;

export const normalAnswer: VendorFault = { mode: 'normal' };

/** A fake vendor's own success answer. */
export interface VendorReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The answer a fault replaces the vendor's with (undefined: answer normally, after `delayMs`). */
export function faultReply(fault: VendorFault): VendorReply | undefined {
  switch (fault.mode) {
    case 'error':
      return { status: 500, body: { error: 'internal error (injected by signal dev)' } };
    case 'rate-limit':
      return { status: 429, headers: { 'retry-after': String(fault.retry_after_s) }, body: { error: `rate limited, retry after ${fault.retry_after_s} s (injected by signal dev)` } };
    case 'unauthorized':
      return { status: 401, body: { error: 'invalid credentials (injected by signal dev)' } };
    default:
      return undefined;
  }
}

/** For the terminal: what the fake now answers. */
export function describeFault(fault: VendorFault): string {
  switch (fault.mode) {
    case 'normal':
      return 'its normal success answer';
    case 'error':
      return 'HTTP 500 (retried)';
    case 'rate-limit':
      return `HTTP 429 with Retry-After: ${fault.retry_after_s} (retried no sooner)`;
    case 'unauthorized':
      return 'HTTP 401 (the integration pauses)';
    case 'slow':
      return `its normal answer after ${fault.delay_ms} ms`;
  }
}

export const faultDelayMs = (fault: VendorFault): number => (fault.mode === 'slow' ? fault.delay_ms : 0);

/** What the debugger sees of the sandbox's fakes, and how it changes their answers. */
export interface VendorFaultControl {
  list(): { vendor: string; url: string; integrations: string[]; fault: VendorFault }[];
  /** False if there is no such vendor. */
  set(vendor: string, fault: VendorFault): boolean;
}

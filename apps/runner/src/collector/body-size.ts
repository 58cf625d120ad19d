import type { FastifyRequest } from 'fastify';

/**
 * Bytes of each request body as received, recorded by the body parsers (api/server.ts) so the
 * collector can skip measuring events one by one when the whole body is small.
 */
const sizes = new WeakMap<FastifyRequest, number>();

export function recordBodySize(request: FastifyRequest, bytes: number): void {
  sizes.set(request, bytes);
}

/** Undefined when the body did not go through a recording parser: measure each event then. */
export function bodySizeOf(request: FastifyRequest): number | undefined {
  return sizes.get(request);
}

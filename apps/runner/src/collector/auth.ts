import type { FastifyRequest } from 'fastify';

/**
 * Segment's two ways to send the write key: HTTP Basic with the key as the
 * user name (password empty), or `writeKey` in the JSON body.
 */
export function writeKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    if (user !== '') return user;
  }
  const body = request.body as { writeKey?: unknown } | null | undefined;
  if (body !== null && typeof body === 'object' && typeof body.writeKey === 'string' && body.writeKey !== '') return body.writeKey;
  return undefined;
}

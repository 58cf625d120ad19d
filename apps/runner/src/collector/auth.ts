import type { IncomingHttpHeaders } from 'node:http';

/**
 * Segment's two ways to send the write key: HTTP Basic with the key as the user name (password
 * empty), or `writeKey` in the JSON body. The header wins, and is checked before the body is read.
 */
export function headerWriteKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (typeof header !== 'string' || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  return user === '' ? undefined : user;
}

export function bodyWriteKey(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const key = (body as { writeKey?: unknown }).writeKey;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

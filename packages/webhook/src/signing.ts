import { createHmac } from 'node:crypto';

/** A signing secret: `whsec_` + base64 (Standard Webhooks, as Svix issues them) or any other text, used as its UTF-8 bytes. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** What is wrong with a signing secret (never its value), if anything. */
export function signingSecretProblem(secret: string): string | undefined {
  if (secret.startsWith('whsec_')) {
    const body = secret.slice('whsec_'.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) return 'starts with whsec_ but the rest is not base64 (a Standard Webhooks secret is whsec_ + base64 of 24–64 random bytes)';
    const bytes = signingKey(secret).length;
    if (bytes < 24 || bytes > 64) return `decodes to ${bytes} bytes; a whsec_ secret must hold 24–64 bytes`;
    return undefined;
  }
  return secret.length < 24 ? 'must be at least 24 characters (e.g. `openssl rand -base64 32`), or a whsec_ secret' : undefined;
}

/**
 * Request signing as the Standard Webhooks spec has it (the scheme Svix uses;
 * Stripe's is the same idea under its own header): HMAC-SHA256 over `id.timestamp.body`,
 * sent with the id and the timestamp, so a receiver can check that the request
 * came from Signal, was not altered, and is recent (replays are refused by
 * age). Any Standard Webhooks library verifies it; see the README for a
 * node:crypto snippet.
 */
export function signatureHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  const signature = createHmac('sha256', signingKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': `v1,${signature}` };
}

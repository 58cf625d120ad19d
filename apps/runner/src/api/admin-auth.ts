import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AdminTokenError, tokenEquals } from './admin-token.js';
import { requestPath } from './request-path.js';
import { unauthorizedCsp, unauthorizedHtml } from './unauthorized-page.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * An HTML page of the admin surface (the debugger): it accepts the admin token
     * once as `?token=` and answers with a session cookie, so the page's own
     * requests need no token. Every other admin route takes only the header or the cookie.
     */
    adminPage?: boolean;
  }
  interface FastifyRequest {
    /** Whether this request is for the admin surface (set by the guard's onRequest hook). */
    signalAdmin: boolean | null;
  }
  interface FastifyInstance {
    /** Set once the admin guard is installed on this instance (installAdminGuard is idempotent). */
    signalAdminGuard?: { token: string | undefined; redact: ((text: string) => string) | undefined };
  }
}

export interface AdminGuardOptions {
  /** The admin credential. Without one the admin surface is locked: every admin route answers 401. */
  token: string | undefined;
  /** Masks secrets in every JSON answer of the admin surface (a second layer behind each route's own masking). */
  redact?: ((text: string) => string) | undefined;
  /** Lifetime of a page session cookie. Default 12 h. */
  sessionMs?: number;
}

/** Every admin route, present or future: `/api`, `/debugger` and everything under them. */
const adminPath = /^\/+(api|debugger)(\/|$)/i;

/** Whether a request is for the admin surface: by the route it matched and by its raw path (so an unmatched or encoded path is covered too). */
export function isAdminRequest(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return (route !== undefined && adminPath.test(route)) || adminPath.test(requestPath(request.url));
}

const safeMethods = new Set(['GET', 'HEAD']);
/** Sec-Fetch-Site values of requests a page on another origin cannot make: its own origin, or the user typing the URL. */
const ownSite = new Set(['same-origin', 'none']);

/** Browsers do not isolate cookies by port: one name per listening port keeps two runners on one host apart. */
export function adminCookieName(request: FastifyRequest): string {
  const port = request.socket?.localPort;
  return port === undefined ? 'signal_admin' : `signal_admin_${port}`;
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A session is `<expiry>.<HMAC(token, expiry)>`: stateless, never the token itself, void when the token changes. */
function sessionMac(token: string, expires: number): Buffer {
  return createHmac('sha256', token).update(`signal-admin-session:${expires}`).digest();
}

function issueSession(token: string, lifetimeMs: number): string {
  const expires = Date.now() + lifetimeMs;
  return `${expires}.${sessionMac(token, expires).toString('base64url')}`;
}

function sessionValid(value: string | undefined, token: string, lifetimeMs: number): boolean {
  if (value === undefined) return false;
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (m === null) return false;
  const expires = Number(m[1]);
  const now = Date.now();
  if (expires <= now || expires > now + lifetimeMs) return false;
  return timingSafeEqual(Buffer.from(m[2]!, 'base64url'), sessionMac(token, expires));
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

function queryToken(request: FastifyRequest): string | undefined {
  const token = (request.query as Record<string, unknown> | undefined)?.['token'];
  return typeof token === 'string' && token.length > 0 ? token : undefined;
}

/** Only a JSON body (or none) reaches an admin route: forms, text/plain and multipart are what cross-site pages can send without a preflight. */
function bodyIsJsonOrAbsent(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  const hasBody = (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0') || request.headers['transfer-encoding'] !== undefined;
  if (type === undefined) return !hasBody;
  return (type.split(';')[0] ?? '').trim().toLowerCase() === 'application/json';
}

/** A state-changing request must come from this origin: a browser says where a request comes from (Sec-Fetch-Site, Origin). */
function fromOwnOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && !ownSite.has(site)) return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    // "null" (sandboxed frames, file:) and anything unparseable.
    return false;
  }
}

/** Answers a refused admin request (HTML for a browser asking for the debugger page); always true. */
function refused(request: FastifyRequest, reply: FastifyReply, status: 401 | 403 | 415, error: string): true {
  reply.code(status);
  const path = requestPath(request.url);
  if (status === 401 && /^\/+debugger/i.test(path) && /text\/html/.test(request.headers.accept ?? '')) {
    reply.header('content-security-policy', unauthorizedCsp).type('text/html; charset=utf-8').send(unauthorizedHtml);
  } else reply.send({ error });
  return true;
}

/**
 * The one admin credential check, for every route under /api and /debugger
 * (present or registered later, on any plugin scope): a root-level hook that
 * matches by path, so no route can forget it. Accepted credentials:
 * `Authorization: Bearer <admin token>`, or the page session cookie
 * (HttpOnly, SameSite=Strict) that an `adminPage` route issues in exchange for
 * a valid `?token=`. CSRF-proof by construction: state-changing requests must
 * come from this origin (Sec-Fetch-Site/Origin) and carry JSON (or no body), a
 * cookie is honoured only on same-origin requests, and no admin route answers
 * CORS (a preflight has no credential, so it gets 401 without CORS headers).
 */
export function installAdminGuard(app: FastifyInstance, options: AdminGuardOptions): void {
  const existing = app.signalAdminGuard;
  if (existing !== undefined) {
    // Mounted twice (buildServer, then registerDebugger): one guard, one token.
    if (existing.token !== undefined && options.token !== undefined && existing.token !== options.token) {
      throw new AdminTokenError('the admin guard is already installed with another admin token: pass the same token to buildServer and registerDebugger');
    }
    existing.token ??= options.token;
    existing.redact ??= options.redact;
    return;
  }
  const guard: { token: string | undefined; redact: ((text: string) => string) | undefined } = { token: options.token, redact: options.redact };
  app.decorate('signalAdminGuard', guard);
  const sessionMs = options.sessionMs ?? 12 * 60 * 60 * 1000;
  const locked =
    'the admin API is locked: no admin token is configured. Fix: set server.admin_token, or start with `signal start`, which generates one in the data directory';
  const needed = "the admin API needs Authorization: Bearer <admin token> (server.admin_token, or the data directory's admin-token file)";

  /** Checks an admin request's credential; true when it was refused (the reply is sent). */
  const check = (request: FastifyRequest, reply: FastifyReply): boolean => {
    reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    const { token } = guard;
    if (token === undefined || token.length === 0) return refused(request, reply, 401, locked);

    const site = request.headers['sec-fetch-site'];
    const bearer = bearerOf(request);
    const given = request.method === 'GET' && request.routeOptions.config.adminPage === true ? queryToken(request) : undefined;
    let allowed: boolean;
    if (bearer !== undefined) allowed = tokenEquals(bearer, token);
    else if (given !== undefined) {
      // A token in the page's URL decides (a wrong one is refused even with a session): it is exchanged for the cookie.
      allowed = tokenEquals(given, token);
      if (allowed) {
        const secure = request.protocol === 'https' ? '; Secure' : '';
        reply.header('set-cookie', `${adminCookieName(request)}=${issueSession(token, sessionMs)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(sessionMs / 1000)}${secure}`);
      }
    } else {
      // The cookie is ambient: honoured only on requests this origin's own pages make.
      allowed = (typeof site !== 'string' || ownSite.has(site)) && sessionValid(readCookie(request, adminCookieName(request)), token, sessionMs);
    }
    if (!allowed) return refused(request, reply, 401, needed);

    if (!safeMethods.has(request.method)) {
      if (!fromOwnOrigin(request)) return refused(request, reply, 403, 'cross-origin requests to the admin API are refused');
      if (!bodyIsJsonOrAbsent(request)) return refused(request, reply, 415, 'admin routes accept only application/json bodies');
    }
    return false;
  };

  // Callback-style hooks (no promise per request): every ingest request passes through them too.
  // The admin check runs once per request; onSend reuses it.
  app.decorateRequest('signalAdmin', null);
  app.addHook('onRequest', (request, reply, done) => {
    request.signalAdmin = isAdminRequest(request);
    if (request.signalAdmin && check(request, reply)) return;
    done();
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    const { redact } = guard;
    if (redact === undefined || typeof payload !== 'string' || !(request.signalAdmin ?? isAdminRequest(request))) return done(null, payload);
    const type = reply.getHeader('content-type');
    done(null, typeof type === 'string' && type.startsWith('application/json') ? redact(payload) : payload);
  });
}

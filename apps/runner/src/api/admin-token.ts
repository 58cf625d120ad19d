import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SignalError } from '@signal/core';
import type { LoadedConfig } from '../config/load.js';

/** The admin token file exists but cannot be used (unreadable, empty). The message says what to do. */
export class AdminTokenError extends SignalError {
  readonly kind = 'admin_token';
}

export const adminTokenFileName = 'admin-token';

/**
 * Compares digests, not the strings: timingSafeEqual needs equal lengths, and
 * comparing fixed-size hashes keeps the token's length from leaking too.
 */
export function tokenEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** 256 random bits, URL- and header-safe. */
export function generateAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Where runner state other than the spool lives: the SQLite file's directory,
 * or `./data` next to the config file with the NATS spool.
 */
export function dataDirOf(loaded: Pick<LoadedConfig, 'dir' | 'sqlitePath'>): string {
  return loaded.sqlitePath === undefined ? resolve(loaded.dir, 'data') : dirname(loaded.sqlitePath);
}

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, adminTokenFileName);
}

/** The token kept in the data directory, or undefined if there is none yet. */
export function readAdminTokenFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') return undefined;
    throw new AdminTokenError(`cannot read the admin token file ${file} (${code ?? 'read error'}). Fix: check its permissions, or set server.admin_token`);
  }
  const token = text.trim();
  if (token.length < 8) throw new AdminTokenError(`the admin token file ${file} holds no usable token. Fix: delete it (a new one is generated on start), or set server.admin_token`);
  return token;
}

export type AdminTokenSource = { token: string; from: 'config' } | { token: string; from: 'file'; file: string; created: boolean };

/**
 * The admin credential: `server.admin_token` if set; otherwise the token kept
 * in the data directory, created (random, mode 0600) on first start and
 * reused after restarts. The admin surface is never open without one.
 */
export function resolveAdminToken(configured: string | undefined, dataDir: string): AdminTokenSource {
  if (configured !== undefined) return { token: configured, from: 'config' };
  const file = adminTokenPath(dataDir);
  const existing = readAdminTokenFile(file);
  if (existing !== undefined) {
    // A copied or restored file may have lost its mode; it is a credential.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { token: existing, from: 'file', file, created: false };
  }
  const token = generateAdminToken();
  try {
    mkdirSync(dataDir, { recursive: true });
    // 'wx': never overwrite a token another process wrote in the meantime.
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const written = code === 'EEXIST' ? readAdminTokenFile(file) : undefined;
    if (written !== undefined) return { token: written, from: 'file', file, created: false };
    throw new AdminTokenError(`cannot write the admin token file ${file} (${code ?? 'write error'}). Fix: make the data directory writable, or set server.admin_token`);
  }
  return { token, from: 'file', file, created: true };
}

/** The config with the resolved admin token in place of an unset server.admin_token. */
export function withAdminToken(loaded: LoadedConfig, token: string): LoadedConfig {
  return { ...loaded, config: { ...loaded.config, server: { ...loaded.config.server, admin_token: token } } };
}

/** One line for the operator: where the admin token is (never the token itself: logs are often shipped elsewhere). */
export function adminTokenNotice(source: AdminTokenSource, url: string): string {
  if (source.from === 'config') return `admin surface (${url}/api, ${url}/debugger) protected by server.admin_token`;
  const how = source.created ? 'generated an admin token and stored it in' : 'admin token read from';
  return `${how} ${source.file} (mode 0600). Use it as "Authorization: Bearer <token>" on ${url}/api, open ${url}/debugger?token=<token> once, or let signal deliveries/replay -c <config> find it`;
}

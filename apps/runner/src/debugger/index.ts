import type { HttpClient } from '@signal/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { installAdminGuard } from '../api/admin-auth.js';
import type { RejectedRequest, IngestFeed } from '../collector/ingest-feed.js';
import type { VendorFaultControl } from '../dev/faults.js';
import type { Spool } from '../spool/types.js';
import { pageCsp, pageHtml } from './assets/page-html.js';
import { createLiveFeed, sseFrame, type AttemptNotice } from './live-feed.js';
import { createValueRedactor } from './redact-value.js';
import { registerDebuggerApi } from './routes.js';
import type { DebuggerIntegration } from './integrations-view.js';

export type { AttemptNotice } from './live-feed.js';
export type { DebuggerIntegration } from './integrations-view.js';

export interface DebuggerOptions {
  spool: Spool;
  /**
   * The delivery engine: its 'attempt' events feed the live list; `wake` follows a replay;
   * `paused` and `resume` back the Integrations view.
   */
  engine: {
    on(event: 'attempt', fn: (e: AttemptNotice) => void): void;
    wake?(integration?: string): void;
    paused?(): Record<string, string>;
    resume?(integration: string): void;
  };
  /** The admin token (checked by the admin guard, api/admin-auth.ts). Without one the debugger is locked (401). */
  adminToken?: string | undefined;
  /** The configured integrations (filters, the Integrations view, test sends). */
  integrations: DebuggerIntegration[];
  /** Masks secrets in text (e.g. every integration's redactor in turn); applied to all data the page gets. */
  redact?: (text: string) => string;
  /** The runner's HTTP client, for "send test event" (same host overrides as deliveries). */
  http?: HttpClient;
  /** The collector's feed: refused requests shown in the live view; stored ones refresh the pages. */
  rejections?: IngestFeed;
  /** `signal dev`: lets the page change how each fake vendor answers. */
  vendorFaults?: VendorFaultControl;
}

/** Refused requests a page opening later still sees. */
const keptRejections = 100;

/** Most bytes queued to one slow page before it is dropped (its EventSource reconnects and reloads). */
const maxBufferedBytes = 1024 * 1024;

const securityHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * The event debugger at /debugger: a static page (inline HTML/CSS/JS, no build
 * step at run time), its JSON API over the spool and a server-sent event
 * stream of delivery attempts. Every route is behind the admin guard
 * (installed here too, so the debugger is protected however it is mounted).
 */
export async function registerDebugger(app: FastifyInstance, options: DebuggerOptions): Promise<void> {
  installAdminGuard(app, { token: options.adminToken, redact: options.redact });

  const redact = createValueRedactor(options.redact);
  const feed = createLiveFeed({ spool: options.spool, redact });
  options.engine.on('attempt', (e) => feed.onAttempt(e));
  const recentRejections: RejectedRequest[] = [];
  const stopRejections = options.rejections?.on((rejection) => {
    recentRejections.unshift(rejection);
    if (recentRejections.length > keptRejections) recentRejections.pop();
    feed.onRejection(rejection);
  });
  // Accepted ingest requests: pages show new events before any delivery attempt (e.g. all integrations paused).
  const stopStored = options.rejections?.onStored(() => feed.onStored());
  const streams = new Set<FastifyReply['raw']>();
  // Open streams would keep app.close() waiting forever.
  app.addHook('preClose', async () => {
    stopRejections?.();
    stopStored?.();
    feed.close();
    for (const res of streams) res.end();
  });

  await app.register(
    async (scope) => {
      scope.addHook('onSend', async (_request, reply) => {
        reply.headers(securityHeaders);
      });

      // The page takes ?token= once (the guard answers with a session cookie); its requests then carry the cookie.
      scope.get('/', { config: { adminPage: true } }, async (_request, reply) =>
        reply.header('content-security-policy', pageCsp).type('text/html; charset=utf-8').send(pageHtml),
      );

      scope.get('/stream', async (_request, reply) => {
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { ...securityHeaders, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        res.write(`retry: 2000\n\n${sseFrame('ready', { at: Date.now() })}`);
        streams.add(res);
        const unsubscribe = feed.subscribe((frame) => {
          if (res.writableLength > maxBufferedBytes) {
            res.end();
            return false;
          }
          res.write(frame);
          return true;
        });
        res.once('close', () => {
          unsubscribe();
          streams.delete(res);
        });
      });

      const { engine } = options;
      registerDebuggerApi(scope, {
        spool: options.spool,
        integrations: options.integrations,
        redact,
        recentRejections: () => [...recentRejections],
        ...(engine.wake === undefined ? {} : { wake: (id?: string) => engine.wake?.(id) }),
        ...(engine.paused === undefined ? {} : { paused: () => engine.paused?.() ?? {} }),
        ...(engine.resume === undefined ? {} : { resume: (id: string) => engine.resume?.(id) }),
        ...(options.http === undefined ? {} : { http: options.http }),
        ...(options.vendorFaults === undefined ? {} : { vendorFaults: options.vendorFaults }),
      });
    },
    { prefix: '/debugger' },
  );
}

import type { HttpClient } from '@signal/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RejectedRequest, RejectionFeed } from '../collector/rejections.js';
import type { VendorFaultControl } from '../dev/faults.js';
import type { Spool } from '../spool/types.js';
import { disabledMessage, pageCsp, pageHtml, unauthorizedCsp, unauthorizedHtml } from './assets/page-html.js';
import { presentedToken, tokenEquals } from './admin-token.js';
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
  /** `server.admin_token`. Without it the debugger is disabled (404 that says how to enable it). */
  adminToken?: string;
  /** The configured integrations (filters, the Integrations view, test sends). */
  integrations: DebuggerIntegration[];
  /** Masks secrets in text (e.g. every integration's redactor in turn); applied to all data the page gets. */
  redact?: (text: string) => string;
  /** The runner's HTTP client, for "send test event" (same host overrides as deliveries). */
  http?: HttpClient;
  /** Refused ingest requests (the collector's feed): shown in the live view. */
  rejections?: RejectionFeed;
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

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route accepts the admin token as `?token=` (page load, EventSource). */
    debuggerTokenInQuery?: boolean;
  }
}

const wantsHtml = (request: FastifyRequest) => /text\/html/.test(request.headers.accept ?? '');

function refuse(request: FastifyRequest, reply: FastifyReply) {
  reply.code(401).headers(securityHeaders);
  if (wantsHtml(request)) return reply.header('content-security-policy', unauthorizedCsp).type('text/html; charset=utf-8').send(unauthorizedHtml);
  return reply.send({ error: 'the event debugger needs the admin token: Authorization: Bearer <server.admin_token> (or ?token= on the page and the stream)' });
}

/**
 * The event debugger at /debugger: a static page (inline HTML/CSS/JS, no build
 * step at run time), its JSON API over the spool and a server-sent event
 * stream of delivery attempts. Every route requires `server.admin_token`.
 */
export async function registerDebugger(app: FastifyInstance, options: DebuggerOptions): Promise<void> {
  const { adminToken } = options;
  if (adminToken === undefined || adminToken.length === 0) {
    const disabled = async (_request: FastifyRequest, reply: FastifyReply) => reply.code(404).send({ error: disabledMessage });
    app.all('/debugger', disabled);
    app.all('/debugger/*', disabled);
    return;
  }

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
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 200 && request.method === 'POST' && request.url.startsWith('/v1/')) feed.onStored();
  });
  const streams = new Set<FastifyReply['raw']>();
  // Open streams would keep app.close() waiting forever.
  app.addHook('preClose', async () => {
    stopRejections?.();
    feed.close();
    for (const res of streams) res.end();
  });

  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        const token = presentedToken(request, request.routeOptions.config.debuggerTokenInQuery === true);
        if (token === undefined || !tokenEquals(token, adminToken)) return refuse(request, reply);
      });
      scope.addHook('onSend', async (_request, reply) => {
        reply.headers(securityHeaders);
      });

      scope.get('/', { config: { debuggerTokenInQuery: true } }, async (_request, reply) =>
        reply.header('content-security-policy', pageCsp).type('text/html; charset=utf-8').send(pageHtml),
      );

      scope.get('/stream', { config: { debuggerTokenInQuery: true } }, async (_request, reply) => {
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

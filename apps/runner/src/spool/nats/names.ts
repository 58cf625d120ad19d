import { NatsSpoolError } from './errors.js';

/**
 * Stream and subject names. Ids from config and event message ids become
 * subject tokens: a token that is already safe is used as is (readable in
 * `nats stream view`), anything else is base64url-encoded behind a `~`, which
 * no safe token contains, so the mapping stays one to one.
 */
const safeToken = /^[A-Za-z0-9_-]{1,200}$/;

export function token(value: string): string {
  return safeToken.test(value) ? value : `~${Buffer.from(value, 'utf8').toString('base64url')}`;
}

export function untoken(tok: string): string {
  return tok.startsWith('~') ? Buffer.from(tok.slice(1), 'base64url').toString('utf8') : tok;
}

/** Kinds of job on the retry queue: due again after a failed attempt, or given back / replayed (pending). */
export type RetryKind = 'r' | 'p';

export interface Names {
  prefix: string;
  streams: { events: string; work: string; retry: string; dead: string; log: string; hold: string; traits: string; tally: string; exchange: string };
  /** Accepted events: one message per commit (a group of appends). */
  events: string;
  /** One chunk of jobs of an integration (one commit's events routed to it); `n` jobs, so stream info counts jobs by subject. */
  work(integration: string, n: number): string;
  workFilter(integration?: string): string;
  /** A job waiting on the retry queue (one message per job): a retry, or a job given back or replayed. */
  retry(integration: string, kind: RetryKind): string;
  retryFilter(integration?: string): string;
  dead(integration: string): string;
  deadFilter(integration?: string): string;
  /** The delivery-log records of one commit's jobs for one integration (one message per recorded batch). */
  log(integration: string, commit: string): string;
  logFilter(integration?: string): string;
  hold(integration: string, userKey: string): string;
  holdFilter(integration: string): string;
  traits(key: string): string;
  traitsFilter: string;
  exchange(id: string): string;
  /** `n` jobs of an integration reached `state` (`minus`: replayed out of it). */
  tally(integration: string, state: string, n: number, minus?: boolean): string;
  tallyFilter: string;
  /** Durable consumers of an integration's chunks and of its retry queue. */
  workConsumer(integration: string): string;
  retryConsumer(integration: string): string;
  /** Job id: stable across redeliveries and retries of one (integration, source, event); also a safe Nats-Msg-Id. */
  jobId(integration: string, source: string, messageId: string): string;
  /** Parses the subjects above that stats() counts. */
  parse(subject: string): ParsedSubject | undefined;
}

export type ParsedSubject =
  | { kind: 'work'; integration: string; n: number }
  | { kind: 'retry'; integration: string; retryKind: RetryKind }
  | { kind: 'dead'; integration: string }
  | { kind: 'tally'; integration: string; state: string; n: number };

export function streamNames(prefix: string): Names {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix)) {
    throw new NatsSpoolError(`stream_prefix "${prefix}" must be 1-32 letters, digits, "-" or "_"`);
  }
  const s = (kind: string) => `${prefix}_${kind.toUpperCase()}`;
  const below = (kind: string, integration?: string) => (integration === undefined ? `${prefix}.${kind}.>` : `${prefix}.${kind}.${token(integration)}.>`);
  return {
    prefix,
    streams: {
      events: s('events'),
      work: s('work'),
      retry: s('retry'),
      dead: s('dead'),
      log: s('log'),
      hold: s('hold'),
      traits: s('traits'),
      tally: s('tally'),
      exchange: s('exchange'),
    },
    events: `${prefix}.events`,
    work: (integration, n) => `${prefix}.work.${token(integration)}.${n}`,
    workFilter: (integration) => below('work', integration),
    retry: (integration, kind) => `${prefix}.retry.${token(integration)}.${kind}`,
    retryFilter: (integration) => below('retry', integration),
    dead: (integration) => `${prefix}.dead.${token(integration)}`,
    deadFilter: (integration) => (integration === undefined ? `${prefix}.dead.>` : `${prefix}.dead.${token(integration)}`),
    log: (integration, commit) => `${prefix}.log.${token(integration)}.${token(commit)}`,
    logFilter: (integration) => below('log', integration),
    hold: (integration, userKey) => `${prefix}.hold.${token(integration)}.${token(userKey)}`,
    holdFilter: (integration) => `${prefix}.hold.${token(integration)}.>`,
    traits: (key) => `${prefix}.traits.${token(key)}`,
    traitsFilter: `${prefix}.traits.>`,
    exchange: (id) => `${prefix}.exchange.${token(id)}`,
    tally: (integration, state, n, minus = false) => `${prefix}.tally.${token(integration)}.${state}.${minus ? 'm' : ''}${n}`,
    tallyFilter: `${prefix}.tally.>`,
    workConsumer: (integration) => `work-${token(integration)}`,
    retryConsumer: (integration) => `retry-${token(integration)}`,
    jobId: (integration, source, messageId) => `${token(integration)}.${token(source)}.${token(messageId)}`,
    parse: (subject) => {
      const t = subject.split('.');
      if (t[0] !== prefix || t[2] === undefined) return undefined;
      const integration = untoken(t[2]);
      if (t[1] === 'work' && t.length === 4) return { kind: 'work', integration, n: Number(t[3]) };
      if (t[1] === 'retry' && t.length === 4 && (t[3] === 'r' || t[3] === 'p')) return { kind: 'retry', integration, retryKind: t[3] };
      if (t[1] === 'dead' && t.length === 3) return { kind: 'dead', integration };
      if (t[1] === 'tally' && t.length === 5) {
        const minus = t[4]!.startsWith('m');
        const n = Number(minus ? t[4]!.slice(1) : t[4]);
        return { kind: 'tally', integration, state: t[3]!, n: minus ? -n : n };
      }
      return undefined;
    },
  };
}

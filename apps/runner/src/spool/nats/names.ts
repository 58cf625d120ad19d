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

export interface Names {
  prefix: string;
  streams: { events: string; work: string; dead: string; log: string; hold: string; traits: string; tally: string; exchange: string };
  /** An event, per (source, message_id): message ids dedupe per source. */
  event(source: string, messageId: string): string;
  /** The event subjects of a message id, in every source. */
  eventAnySource(messageId: string): string;
  work(integration: string): string;
  dead(integration: string): string;
  /** All dead letters, or one integration's. */
  deadFilter(integration?: string): string;
  log(integration: string, source: string, messageId: string): string;
  logFilter(integration?: string): string;
  hold(integration: string, userKey: string): string;
  holdFilter(integration: string): string;
  traits(key: string): string;
  /** One batch's request/response, stored once and referenced from each of its jobs' log entries. */
  exchange(id: string): string;
  /** The integration of a work subject (`<prefix>.work.<token>`). */
  workIntegration(subject: string): string | undefined;
  /** One small message per job in a retry or final state: counting those is a stream-info call. */
  tally(integration: string, state: string): string;
  tallyFilter(): string;
  /** Durable consumer name of an integration's work. */
  consumer(integration: string): string;
  /** Job id: stable across redeliveries and retries of one (integration, event); also a safe Nats-Msg-Id. */
  jobId(integration: string, source: string, messageId: string): string;
  /** Nats-Msg-Id of an event (message ids may hold any character; header values may not). */
  eventMsgId(source: string, messageId: string): string;
}

export function streamNames(prefix: string): Names {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix)) {
    throw new NatsSpoolError(`stream_prefix "${prefix}" must be 1-32 letters, digits, "-" or "_"`);
  }
  const s = (kind: string) => `${prefix}_${kind.toUpperCase()}`;
  return {
    prefix,
    streams: { events: s('events'), work: s('work'), dead: s('dead'), log: s('log'), hold: s('hold'), traits: s('traits'), tally: s('tally'), exchange: s('exchange') },
    event: (source, messageId) => `${prefix}.event.${token(source)}.${token(messageId)}`,
    eventAnySource: (messageId) => `${prefix}.event.*.${token(messageId)}`,
    work: (integration) => `${prefix}.work.${token(integration)}`,
    dead: (integration) => `${prefix}.dead.${token(integration)}`,
    deadFilter: (integration) => (integration === undefined ? `${prefix}.dead.>` : `${prefix}.dead.${token(integration)}`),
    log: (integration, source, messageId) => `${prefix}.log.${token(integration)}.${token(source)}.${token(messageId)}`,
    logFilter: (integration) => (integration === undefined ? `${prefix}.log.>` : `${prefix}.log.${token(integration)}.>`),
    hold: (integration, userKey) => `${prefix}.hold.${token(integration)}.${token(userKey)}`,
    holdFilter: (integration) => `${prefix}.hold.${token(integration)}.>`,
    traits: (key) => `${prefix}.traits.${token(key)}`,
    exchange: (id) => `${prefix}.exchange.${token(id)}`,
    workIntegration: (subject) => {
      const parts = subject.split('.');
      return parts.length === 3 && parts[0] === prefix && parts[1] === 'work' ? untoken(parts[2]!) : undefined;
    },
    tally: (integration, state) => `${prefix}.tally.${token(integration)}.${state}`,
    tallyFilter: () => `${prefix}.tally.>`,
    consumer: (integration) => `work-${token(integration)}`,
    jobId: (integration, source, messageId) => `${token(integration)}.${token(source)}.${token(messageId)}`,
    eventMsgId: (source, messageId) => `${token(source)}.${token(messageId)}`,
  };
}

/** The integration and state of a tally subject (`<prefix>.tally.<token>.<state>`). */
export function parseTallySubject(subject: string): { integration: string; state: string } | undefined {
  const parts = subject.split('.');
  return parts.length === 4 && parts[1] === 'tally' ? { integration: untoken(parts[2]!), state: parts[3]! } : undefined;
}

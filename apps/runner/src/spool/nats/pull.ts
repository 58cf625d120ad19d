import { createInbox, nanos, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { NatsSpoolError } from './errors.js';

/**
 * One message leased from a pull consumer. The library's `fetch` waits at least
 * a second when the consumer is empty; a claim must answer at once, so this
 * sends the raw `no_wait` pull request and acks through the reply subject.
 */
export interface LeasedMessage {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  /** Stream sequence. */
  seq: number;
  /** How many times JetStream has delivered it (1 on the first delivery). */
  deliveries: number;
  /** Epoch ms when the message was stored. */
  storedAt: number;
  /** `<stream>.<consumer>` it was leased from. */
  consumer: string;
  /** Acks; with `confirm`, waits for the server's reply (see ackAll). */
  ack(confirm: boolean): Promise<void>;
  /** Gives the message back; JetStream redelivers it after `delayMs`. */
  nak(delayMs: number): Promise<void>;
  /** Still working on it: restarts the ack_wait (lease) timer. */
  working(): void;
}

/** Parses `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>` (with optional domain/account tokens). */
function parseAckSubject(reply: string): { deliveries: number; seq: number; storedAt: number } | undefined {
  const t = reply.split('.');
  if (t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
  const at = t.length === 9 ? 4 : t.length >= 11 ? 6 : -1;
  if (at < 0) return undefined;
  return { deliveries: Number(t[at]), seq: Number(t[at + 1]), storedAt: Math.floor(Number(t[at + 3]) / 1e6) };
}

export async function pullNow(nc: NatsConnection, stream: string, consumer: string, batch: number, timeoutMs = 5_000): Promise<LeasedMessage[]> {
  if (batch <= 0) return [];
  const inbox = createInbox();
  const sub = nc.subscribe(inbox);
  const timer = setTimeout(() => sub.unsubscribe(), timeoutMs);
  nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify({ batch, no_wait: true }), { reply: inbox });
  const out: LeasedMessage[] = [];
  let failure: unknown;
  try {
    for await (const m of sub) {
      const status = m.headers?.code ?? 0;
      if (status === 100) continue; // idle heartbeat / flow control
      if (status !== 0 && m.data.length === 0) {
        // 404 "No Messages" / 408 "Request Timeout" end a no_wait pull; anything else is a real error.
        if (status !== 404 && status !== 408) failure = new NatsSpoolError(`pull from ${stream}/${consumer} failed: ${status} ${m.headers?.description ?? ''}`);
        break;
      }
      const info = m.reply === undefined ? undefined : parseAckSubject(m.reply);
      if (info === undefined || m.reply === undefined) continue;
      const reply = m.reply;
      out.push({
        subject: m.subject,
        data: m.data,
        headers: m.headers,
        ...info,
        consumer: `${stream}.${consumer}`,
        ack: async (confirm) => {
          if (confirm) await nc.request(reply, '+ACK', { timeout: timeoutMs });
          else nc.publish(reply, '+ACK');
        },
        working: () => nc.publish(reply, '+WPI'),
        nak: async (delayMs) => {
          nc.publish(reply, delayMs > 0 ? `-NAK ${JSON.stringify({ delay: nanos(Math.ceil(delayMs)) })}` : '-NAK');
          await nc.flush();
        },
      });
      if (out.length >= batch) break;
    }
  } finally {
    clearTimeout(timer);
    sub.unsubscribe();
  }
  if (failure !== undefined) {
    // Give back what arrived before the error so it is not stuck until ack_wait.
    await Promise.allSettled(out.map((m) => m.nak(0)));
    throw failure;
  }
  return out;
}

/**
 * Acks many messages with one round trip per consumer: plain `+ACK` publishes, the
 * last one of each consumer as a request. A consumer applies the acks of one
 * connection in order, so its reply means all of them were applied (the jobs
 * are off the work queue and will not be redelivered).
 */
export async function ackAll(messages: readonly LeasedMessage[]): Promise<void> {
  const last = new Map<string, LeasedMessage>();
  for (const m of messages) last.set(m.consumer, m);
  const confirmations: Promise<void>[] = [];
  for (const m of messages) {
    if (last.get(m.consumer) === m) confirmations.push(m.ack(true));
    else m.ack(false).catch(() => undefined); // a failed publish fails the confirmation below too
  }
  await Promise.all(confirmations);
}

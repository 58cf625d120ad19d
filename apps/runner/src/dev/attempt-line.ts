import type { AttemptEvent } from '../runner.js';

const colours: Record<string, string> = { delivered: '32', retry: '33', dead: '31', rejected: '31', dropped: '90', paused: '35', auth: '35' };

/** One human-readable line per delivery attempt (the `signal dev` live view; pino-pretty is not a dependency). */
export function formatAttempt(e: AttemptEvent, options: { colour: boolean; eventName?: string }): string {
  const time = new Date().toISOString().slice(11, 23);
  const state = options.colour && colours[e.state] !== undefined ? `\u001b[${colours[e.state]}m${e.state.padEnd(9)}\u001b[0m` : e.state.padEnd(9);
  const status = e.exchange?.response?.status ?? (e.exchange?.error !== undefined ? 'ERR' : '-');
  const duration = e.durationMs ?? e.exchange?.durationMs;
  const r = e.result;
  const detail =
    r.status === 'retry' || r.status === 'dropped'
      ? r.reason
      : r.status === 'rejected' || r.status === 'auth'
        ? r.message
        : r.warning !== undefined
          ? `warning: ${r.warning}`
          : '';
  const what = options.eventName ?? e.messageId;
  return `${time}  ${e.integration.padEnd(13)} ${what.padEnd(22)} ${state} ${String(status).padStart(3)} ${duration === undefined ? '' : `${Math.round(duration)} ms`.padStart(7)}  attempt ${e.attempts}${detail === '' ? '' : `  ${detail}`}`;
}

import type { Logger } from '@signal/core';

/** Human-readable log lines for the terminal (warnings and errors; info only when verbose). */
export function consoleLogger(options: { verbose?: boolean; write?: (line: string) => void } = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const line = (level: string, obj: object, msg?: string) => {
    const fields = Object.entries(obj)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    write(`${level.padEnd(5)} ${msg ?? ''}${fields === '' ? '' : `  ${fields}`}`);
  };
  return {
    debug: (obj, msg) => (options.verbose === true ? line('debug', obj, msg) : undefined),
    info: (obj, msg) => (options.verbose === true ? line('info', obj, msg) : undefined),
    warn: (obj, msg) => line('warn', obj, msg),
    error: (obj, msg) => line('error', obj, msg),
  };
}

/**
 * Globals the kit swaps while it runs a plugin, to see what the plugin does
 * with them: a clock moved by `offsetMs` (Date.now, `new Date()`, `Date()`,
 * performance.now) and a chosen random source; and a console (plus
 * process.stdout/stderr) that records instead of printing.
 */
export function withShiftedClock<T>(offsetMs: number, random: number, run: () => T): T {
  const RealDate = globalThis.Date;
  const realRandom = Math.random;
  const realPerformanceNow = performance.now.bind(performance);
  // A constructor function (not a class) so that `Date()` called without `new` works as it does natively.
  const ShiftedDate = function (this: unknown, ...args: unknown[]) {
    if (new.target === undefined) return new RealDate(RealDate.now() + offsetMs).toString();
    return args.length === 0 ? new RealDate(RealDate.now() + offsetMs) : (Reflect.construct(RealDate, args) as Date);
  } as unknown as DateConstructor;
  Object.defineProperties(ShiftedDate, {
    prototype: { value: RealDate.prototype },
    now: { value: () => RealDate.now() + offsetMs },
    parse: { value: RealDate.parse },
    UTC: { value: RealDate.UTC },
  });
  globalThis.Date = ShiftedDate;
  Math.random = () => random;
  performance.now = () => realPerformanceNow() + offsetMs;
  try {
    return run();
  } finally {
    globalThis.Date = RealDate;
    Math.random = realRandom;
    performance.now = realPerformanceNow;
  }
}

const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const;

/** Runs `run` with console.* and process.stdout/stderr recorded, not printed; returns what was written. */
export async function captureConsole<T>(run: () => Promise<T>): Promise<{ value: T; written: string[] }> {
  const written: string[] = [];
  const saved = consoleMethods.map((m) => [m, console[m]] as const);
  const savedOut = process.stdout.write;
  const savedErr = process.stderr.write;
  const record = (...args: unknown[]) => {
    written.push(args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '));
  };
  for (const m of consoleMethods) console[m] = record;
  const recordWrite = ((chunk: unknown) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = recordWrite;
  process.stderr.write = recordWrite;
  try {
    return { value: await run(), written };
  } finally {
    for (const [m, fn] of saved) console[m] = fn as never;
    process.stdout.write = savedOut;
    process.stderr.write = savedErr;
  }
}

function safeJson(value: unknown): string {
  if (value instanceof Error) return `${value.message} ${value.stack ?? ''}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

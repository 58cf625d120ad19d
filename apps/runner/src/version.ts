/** Set at build time from package.json (tsup `define`); "dev" when run from source. */
declare const __SIGNAL_RUNNER_VERSION__: string | undefined;
export const runnerVersion: string = typeof __SIGNAL_RUNNER_VERSION__ === 'string' ? __SIGNAL_RUNNER_VERSION__ : 'dev';

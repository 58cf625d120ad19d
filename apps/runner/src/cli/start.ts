import type { Command } from 'commander';
import { pino } from 'pino';
import { startRunner } from '../runner.js';
import { defaultConfigFile, fail, loadOrFail, stopOnSignals } from './common.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run the collector and the delivery engine in one process (JSON logs on stdout).')
    .option('-c, --config <file>', 'config file', defaultConfigFile)
    .option('-p, --port <port>', 'override server.port', (v) => Number(v))
    .addHelpText('after', '\nExample:\n  $ signal start -c signal.config.yaml\n\nStops gracefully on SIGINT/SIGTERM within http.timeout_ms + 5 s: stops accepting, lets in-flight requests end,\ngives back what it holds, closes the spool. A second signal exits at once (nothing accepted is lost).')
    .action(async (opts: { config: string; port?: number }) => {
      const loaded = await loadOrFail(opts.config);
      const logger = pino({ name: 'signal' });
      try {
        const runner = await startRunner(loaded, { logger, ...(opts.port === undefined ? {} : { port: opts.port }) });
        stopOnSignals(() => runner.stop(), { boundMs: runner.stopBoundMs, log: (msg, fields) => logger.info(fields ?? {}, msg) });
      } catch (error) {
        fail(error);
      }
    });
}

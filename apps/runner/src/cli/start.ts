import type { Command } from 'commander';
import { pino } from 'pino';
import { startRunner } from '../runner.js';
import { defaultConfigFile, fail, integerFlag, loadOrFail, stopOnSignals } from './common.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run the collector and the delivery engine in one process (JSON logs on stdout).')
    .option('-c, --config <file>', 'config file', defaultConfigFile)
    .option('-p, --port <port>', 'override server.port', integerFlag(0, 65535))
    .addHelpText('after', '\nExample:\n  $ signal start -c signal.config.yaml\n\nStops gracefully on SIGINT/SIGTERM: stops accepting, finishes in-flight requests, closes the spool.')
    .action(async (opts: { config: string; port?: number }) => {
      const loaded = await loadOrFail(opts.config);
      const logger = pino({ name: 'signal' });
      try {
        const runner = await startRunner(loaded, { logger, ...(opts.port === undefined ? {} : { port: opts.port }) });
        stopOnSignals(() => runner.stop(), (signal) => logger.info({ signal }, 'stopping'));
      } catch (error) {
        fail(error);
      }
    });
}

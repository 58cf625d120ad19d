import type { Command } from 'commander';
import { pino } from 'pino';
import { adminTokenNotice, dataDirOf, resolveAdminToken, withAdminToken } from '../api/admin-token.js';
import { startRunner } from '../runner.js';
import { defaultConfigFile, fail, integerFlag, loadOrFail, stopOnSignals, UsageError } from './common.js';

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run the collector and the delivery engine in one process (JSON logs on stdout).')
    .option('-c, --config <file>', 'config file', defaultConfigFile)
    .option('-p, --port <port>', 'override server.port', integerFlag(0, 65535))
    .option('--log-level <level>', `${levels.join('|')} (default: $LOG_LEVEL or info)`)
    .addHelpText(
      'after',
      '\nExample:\n  $ signal start -c signal.config.yaml\n\nWithout server.admin_token, the first start generates an admin token for /api and /debugger\nand keeps it in the data directory (admin-token, mode 0600); the log says where.\nStops gracefully on SIGINT/SIGTERM within http.timeout_ms + 5 s: stops accepting, lets in-flight requests end,\ngives back what it holds, closes the spool. A second signal exits at once (nothing accepted is lost).',
    )
    .action(async (opts: { config: string; port?: number; logLevel?: string }) => {
      const loaded = await loadOrFail(opts.config);
      try {
        const level = opts.logLevel ?? process.env['LOG_LEVEL'] ?? 'info';
        if (!levels.includes(level)) throw new UsageError(`--log-level must be one of ${levels.join(', ')}`);
        const logger = pino({ name: 'signal', level });
        const admin = resolveAdminToken(loaded.config.server.admin_token, dataDirOf(loaded));
        const runner = await startRunner(withAdminToken(loaded, admin.token), { logger, ...(opts.port === undefined ? {} : { port: opts.port }) });
        logger.info({ admin_token: admin.from === 'config' ? 'server.admin_token' : admin.file }, adminTokenNotice(admin, runner.url));
        stopOnSignals(() => runner.stop(), { boundMs: runner.stopBoundMs, log: (msg, fields) => logger.info(fields ?? {}, msg) });
      } catch (error) {
        fail(error);
      }
    });
}

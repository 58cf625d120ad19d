import type { Command } from 'commander';
import type { JobState } from '../spool/types.js';
import { fail, UsageError } from './common.js';
import { openLogTarget } from './delivery-log-client.js';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('Send dead-lettered (or other final) deliveries again: they go back to pending with attempts reset.')
    .option('-i, --integration <id>', 'only this integration')
    .option('-s, --status <status>', 'which final state to replay: dead|rejected', 'dead')
    .option('-c, --config <file>', 'update the SQLite spool named in this config instead of calling the API')
    .option('--url <url>', 'runner API base URL', process.env['SIGNAL_URL'] ?? 'http://127.0.0.1:8080')
    .option('--token <token>', 'admin token for /api (default: $SIGNAL_ADMIN_TOKEN)', process.env['SIGNAL_ADMIN_TOKEN'])
    .addHelpText('after', '\nExample:\n  $ signal replay --integration clevertap --status dead')
    .action(async (opts: { integration?: string; status: string; config?: string; url: string; token?: string }) => {
      try {
        if (!['dead', 'rejected'].includes(opts.status)) throw new UsageError(`--status must be dead or rejected (got "${opts.status}")`);
        const target = await openLogTarget({ url: opts.url, ...(opts.config === undefined ? {} : { config: opts.config }), ...(opts.token === undefined ? {} : { token: opts.token }) });
        try {
          const n = await target.replay({ state: opts.status as JobState, ...(opts.integration === undefined ? {} : { integration: opts.integration }) });
          process.stdout.write(`replayed ${n} ${opts.status} deliver${n === 1 ? 'y' : 'ies'}${opts.integration === undefined ? '' : ` of ${opts.integration}`}\n`);
        } finally {
          await target.close();
        }
      } catch (error) {
        fail(error);
      }
    });
}

import { Option, type Command } from 'commander';
import type { DeliveryEntry, JobState } from '../spool/types.js';
import { fail, integerFlag } from './common.js';
import { logTargetOptions, openLogTarget } from './delivery-log-client.js';

const statuses = ['failed', 'retry', 'delivered', 'dead', 'rejected', 'dropped', 'pending', 'inflight'];

function summary(r: DeliveryEntry['lastResult']): string {
  if (r === undefined) return '';
  switch (r.status) {
    case 'retry':
      return r.reason;
    case 'rejected':
      return `${r.code}: ${r.message}`;
    case 'auth':
      return r.message;
    case 'dropped':
      return r.reason;
    case 'delivered':
      return r.warning === undefined ? '' : `warning: ${r.warning}`;
  }
}

export function registerDeliveries(program: Command): void {
  program
    .command('deliveries')
    .description("List recent deliveries from the delivery log, through the running runner's API (with -c: its address and admin token come from the config; a SQLite file is read directly when no runner answers).")
    .option('-i, --integration <id>', 'only this integration')
    .addOption(new Option('-s, --status <status>', 'only this state (failed = retry + rejected + dead)').choices(statuses))
    .option('-n, --limit <n>', 'how many', integerFlag(1, 1000), 50)
    .option('--json', 'print JSON')
    .option('-c, --config <file>', "the runner's config: its address, its admin token, and its SQLite file when no runner answers")
    .option('--url <url>', 'runner API base URL (default: $SIGNAL_URL, the config\'s server address, or http://127.0.0.1:8080)')
    .option('--token <token>', 'admin token (default: $SIGNAL_ADMIN_TOKEN, or what the config names: server.admin_token, else <data dir>/admin-token)')
    .addHelpText('after', '\nExamples:\n  $ signal deliveries --status failed\n  $ signal deliveries -c signal.config.yaml --integration clevertap --json')
    .action(async (opts: { integration?: string; status?: string; limit: number; json?: boolean; config?: string; url?: string; token?: string }) => {
      try {
        const target = await openLogTarget(logTargetOptions(opts));
        try {
          const rows = await target.deliveries({
            limit: opts.limit,
            ...(opts.integration === undefined ? {} : { integration: opts.integration }),
            ...(opts.status === undefined ? {} : { state: opts.status as JobState | 'failed' }),
          });
          if (opts.json === true) {
            process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
            return;
          }
          if (rows.length === 0) process.stdout.write('no deliveries match\n');
          for (const r of rows) {
            const when = new Date(r.updatedAt).toISOString().replace('T', ' ').slice(0, 19);
            process.stdout.write(`${when}  ${r.integration.padEnd(13)} ${(r.eventName ?? r.eventType).padEnd(20)} ${r.state.padEnd(9)} attempts ${r.attempts}  ${r.messageId}  ${summary(r.lastResult)}\n`);
          }
        } finally {
          await target.close();
        }
      } catch (error) {
        fail(error);
      }
    });
}

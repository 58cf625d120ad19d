import type { Command } from 'commander';
import { replayableStates } from '../api/replay-request.js';
import { fail, UsageError } from './common.js';
import { logTargetOptions, openLogTarget } from './delivery-log-client.js';

interface ReplayFlags {
  integration?: string;
  status: string;
  messageId?: string[];
  force?: boolean;
  config?: string;
  url?: string;
  token?: string;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'Send final deliveries again: they go back to pending with attempts reset. Dead letters by default; rejected on request; delivered or dropped only with --force and an --integration or --message-id (they reach the vendor twice).',
    )
    .option('-i, --integration <id>', 'only this integration')
    .option('-s, --status <status>', `which final state to replay: ${replayableStates.join('|')}`, 'dead')
    .option('-m, --message-id <id...>', 'only these events (message_id; repeat or list several)')
    .option('--force', 'allow replaying delivered or dropped deliveries (needs --integration or --message-id)')
    .option('-c, --config <file>', "the runner's config: its address, its admin token, and its SQLite file when no runner answers")
    .option('--url <url>', "runner API base URL (default: $SIGNAL_URL, the config's server address, or http://127.0.0.1:8080)")
    .option('--token <token>', 'admin token (default: $SIGNAL_ADMIN_TOKEN, or what the config names: server.admin_token, else <data dir>/admin-token)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ signal replay -c signal.config.yaml --integration clevertap\n  $ signal replay -c signal.config.yaml --status delivered --integration webhook --force\n  $ signal replay --status delivered --message-id m-1 m-2 --force --url http://10.0.0.5:8080',
    )
    .action(async (opts: ReplayFlags) => {
      try {
        if (!(replayableStates as readonly string[]).includes(opts.status)) throw new UsageError(`--status must be one of ${replayableStates.join(', ')}`);
        const target = await openLogTarget(logTargetOptions(opts));
        try {
          const outcome = await target.replay({
            status: opts.status as (typeof replayableStates)[number],
            ...(opts.integration === undefined ? {} : { integration: opts.integration }),
            ...(opts.messageId === undefined ? {} : { message_ids: opts.messageId }),
            ...(opts.force === true ? { force: true } : {}),
          });
          const n = outcome.replayed;
          const what = `${n} ${outcome.status} deliver${n === 1 ? 'y' : 'ies'}${outcome.integration === undefined ? '' : ` of ${outcome.integration}`}`;
          process.stdout.write(`replayed ${what}: back to pending, sent again shortly${outcome.forced ? ' (forced: the vendor receives them a second time)' : ''}\n`);
        } finally {
          await target.close();
        }
      } catch (error) {
        fail(error);
      }
    });
}

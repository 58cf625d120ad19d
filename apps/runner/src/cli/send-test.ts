import { createHttpClient } from '@signal/core';
import type { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { defaultConfigFile, fail, loadOrFail } from './common.js';
import { runSendTest, sendTestPassed } from '../send-test/index.js';

export function registerSendTest(program: Command): void {
  program
    .command('send-test <integration>')
    .description('Send one sample event through an integration for real (its settings, preset, mapping, consent and host overrides) and show the mapped payload, the request (secrets redacted), the response and the result.')
    .option('-c, --config <file>', 'config file', defaultConfigFile)
    .option('-e, --event <name>', 'Segment event name, or "page" / "identify"', 'Order Completed')
    .option('-u, --user <id>', 'user id of the sample event', 'signal-test-user')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExample:\n  $ signal send-test leanplum --event "Product Viewed"\n\nExit code 1 unless the result is delivered (or dropped on purpose).')
    .action(async (id: string, opts: { config: string; event: string; user: string; json?: boolean }) => {
      const loaded = await loadOrFail(opts.config);
      const found = loaded.integrations.find((i) => i.integration.id === id);
      if (found === undefined) {
        fail(new ConfigError(loaded.file, [{ path: 'integrations', message: `no integration "${id}"; known: ${loaded.integrations.map((i) => i.integration.id).join(', ')}` }]));
      }
      const { integration } = found;
      const http = createHttpClient({ hostOverrides: loaded.config.http.host_overrides });
      try {
        const report = await runSendTest(integration, http, { event: opts.event, user: opts.user });
        const { event, payload, exchanges, result } = report;
        if (opts.json === true) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          const show = (title: string, value: unknown) => process.stdout.write(`\n== ${title}\n${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
          show('event', event);
          show('mapped payload', payload === undefined ? '(none: not sent)' : payload);
          for (const x of exchanges) {
            show('request (secrets redacted)', `${x.request.method} ${x.request.url}\n${Object.entries(x.request.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${x.request.body}`);
            show('response', x.response === undefined ? `(no response: ${x.error ?? 'unknown'})` : `HTTP ${x.response.status} in ${Math.round(x.durationMs)} ms\n${x.response.body}`);
          }
          show('result', result);
        }
        process.exitCode = sendTestPassed(report) ? 0 : 1;
      } finally {
        await http.close();
      }
    });
}

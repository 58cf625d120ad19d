import { Command } from 'commander';
import { registerDeliveries } from './cli/deliveries.js';
import { registerDev } from './cli/dev.js';
import { registerReplay } from './cli/replay.js';
import { registerSendTest } from './cli/send-test.js';
import { registerStart } from './cli/start.js';
import { registerValidate } from './cli/validate.js';
import { runnerVersion } from './version.js';

const program = new Command('signal')
  .description('Signal: server-side event delivery to Leanplum, CleverTap, LaunchDarkly and HTTP webhooks.')
  .version(runnerVersion)
  .addHelpText('after', '\nNew here? Run `signal dev` and follow the printed curl.');

registerDev(program);
registerStart(program);
registerValidate(program);
registerSendTest(program);
registerDeliveries(program);
registerReplay(program);

await program.parseAsync(process.argv);

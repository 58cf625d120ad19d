import { Command, CommanderError } from 'commander';
import { exitCode, fail } from './cli/common.js';
import { registerDeliveries } from './cli/deliveries.js';
import { registerDev } from './cli/dev.js';
import { registerPlugin } from './cli/plugin.js';
import { registerReplay } from './cli/replay.js';
import { registerSendTest } from './cli/send-test.js';
import { registerStart } from './cli/start.js';
import { registerValidate } from './cli/validate.js';
import { runnerVersion } from './version.js';

const program = new Command('signal')
  .description('Signal: server-side event delivery to Leanplum, CleverTap, LaunchDarkly and HTTP webhooks.')
  .version(runnerVersion)
  .addHelpText('after', '\nNew here? Run `signal dev` and follow the printed curl.\n\nExit codes: 0 done, 1 the command found a problem (e.g. an invalid config), 2 the command line is wrong.')
  // Set before the commands are added, so every subcommand inherits them.
  .exitOverride()
  .showSuggestionAfterError(true);

registerDev(program);
registerStart(program);
registerValidate(program);
registerSendTest(program);
registerDeliveries(program);
registerReplay(program);
registerPlugin(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (unknown option, bad value, …); help and --version are not errors.
    const done = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0;
    process.exit(done ? exitCode.ok : exitCode.usage);
  }
  fail(error);
}

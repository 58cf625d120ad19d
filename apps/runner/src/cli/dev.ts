import type { Command } from 'commander';
import { startSandbox } from '../dev/sandbox.js';
import { fail, integerFlag, stopOnSignals } from './common.js';

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('Start a sandbox: the runner with built-in fake Leanplum, CleverTap, LaunchDarkly and webhook servers, a sample config, and a live line per delivery attempt. No accounts needed.')
    .option('-p, --port <port>', 'collector port', integerFlag(0, 65535), 8080)
    .option('--data-dir <dir>', 'where the SQLite spool lives', './data')
    .option('--verbose', 'also print info-level runner logs')
    .addHelpText(
      'after',
      '\nThen send an event (the command prints a ready-made curl) and watch it reach every fake vendor.\nIn the debugger (Integrations) tell a fake vendor to answer 500, 429, 401 or slowly to see retries, a pause, a dead letter and a replay.',
    )
    .action(async (opts: { port: number; dataDir: string; verbose?: boolean }) => {
      try {
        const sandbox = await startSandbox({ port: opts.port, dataDir: opts.dataDir, colour: process.stdout.isTTY === true, verbose: opts.verbose === true });
        stopOnSignals(() => sandbox.stop(), { boundMs: sandbox.runner.stopBoundMs, log: (msg) => process.stdout.write(`${msg}\n`) });
      } catch (error) {
        fail(error);
      }
    });
}

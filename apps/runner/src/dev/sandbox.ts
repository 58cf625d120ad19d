import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignalError } from '@signal/core';
import { loadConfigText } from '../config/load.js';
import { loadPlugin } from '../config/plugins.js';
import { startRunner, type Runner } from '../runner.js';
import { consoleLogger } from './console-logger.js';
import { formatAttempt } from './attempt-line.js';
import { startFakeVendors, type FakeVendors } from './fake-vendors.js';
import { describeFault, type VendorFaultControl } from './faults.js';
import { devAdminToken, devWriteKey, sampleConfig } from './sample-config.js';

export interface SandboxOptions {
  port: number;
  dataDir: string;
  /** Where the banner and live delivery lines go. */
  print?: (line: string) => void;
  colour?: boolean;
  verbose?: boolean;
  /** Engine timing (tests). */
  engine?: { lingerMs?: number; pollIntervalMs?: number; authPauseMs?: number };
}

export interface Sandbox {
  runner: Runner;
  vendors: FakeVendors;
  config: string;
  stop(): Promise<void>;
}

/** The plugins the sample config names. The runner depends on none of them. */
export const sandboxPlugins = ['@signal/leanplum', '@signal/clevertap', '@signal/launchdarkly', '@signal/webhook'] as const;

/** `signal dev` cannot run: some of its plugins are not installed. */
export class SandboxPluginsMissing extends SignalError {
  readonly kind = 'sandbox';
}

/**
 * Where the sandbox's plugins come from: the current project (what the user
 * installed), then wherever the runner itself is installed (npm puts plugins
 * installed with it next to it; in the monorepo they are its devDependencies).
 */
function sandboxPluginDirs(): string[] {
  return [process.cwd(), dirname(fileURLToPath(import.meta.url))];
}

async function assertSandboxPlugins(dirs: string[]): Promise<void> {
  const missing: string[] = [];
  for (const name of sandboxPlugins) {
    const found = await loadPlugin(name, dirs[0]!, { dirs });
    if (!found.ok && found.reason === 'missing') missing.push(name);
  }
  if (missing.length > 0) {
    throw new SandboxPluginsMissing(
      `signal dev runs the sandbox with its four plugins, and ${missing.length === sandboxPlugins.length ? 'none is' : `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'}`} installed. Fix: npm install ${missing.join(' ')}`,
    );
  }
}

/** `signal dev`: fake vendors on loopback + the sample config + a live view of every delivery attempt. */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dataDir = resolve(options.dataDir);
  const pluginDirs = sandboxPluginDirs();
  await assertSandboxPlugins(pluginDirs);
  mkdirSync(dataDir, { recursive: true });
  const vendors = await startFakeVendors();
  const config = sampleConfig({ port: options.port, dataDir, vendors: vendors.vendors });
  let runner: Runner;
  try {
    const loaded = await loadConfigText(config, { file: '(signal dev sample config)', dir: process.cwd(), env: {}, pluginDirs });
    const names = new Map<string, string>();
    // The sample config names each integration after its fake vendor.
    const vendorFaults: VendorFaultControl = {
      list: () => vendors.vendors.map((v) => ({ vendor: v.name, url: v.url, integrations: [v.name], fault: v.fault })),
      set: (name, fault) => {
        const vendor = vendors.vendors.find((v) => v.name === name);
        if (vendor === undefined) return false;
        vendor.fault = fault;
        print(`fake ${name} now answers ${describeFault(fault)}`);
        return true;
      },
    };
    runner = await startRunner(loaded, {
      vendorFaults,
      logger: consoleLogger({ verbose: options.verbose === true, write: print }),
      // A paused integration probes again after 30 s (not 5 min): the demo of a 401 recovers on its own too.
      engine: { authPauseMs: 30_000, ...options.engine },
      onAttempt: (e) => {
        const known = names.get(e.messageId);
        const show = (eventName?: string) => print(formatAttempt(e, { colour: options.colour ?? false, ...(eventName === undefined ? {} : { eventName }) }));
        if (known !== undefined) return show(known);
        // The attempt names the message; the event's name reads better in a terminal.
        void runner.spool
          .event(e.messageId)
          .then((detail) => {
            const ev = detail?.event;
            const name = ev === undefined ? undefined : ev.type === 'track' ? (ev.event ?? 'track') : ev.type;
            if (name !== undefined) names.set(e.messageId, name);
            show(name);
          })
          .catch(() => show());
      },
    });
  } catch (error) {
    await vendors.close();
    throw error;
  }
  const configFile = `${dataDir}/signal.dev.yaml`;
  // Written out so the other commands work against the sandbox (send-test, deliveries -c, validate).
  writeFileSync(configFile, config);
  const url = runner.url;
  const curl = [
    `curl -s ${url}/v1/track -u ${devWriteKey}: -H 'content-type: application/json' -d '{`,
    `    "userId": "user-42", "event": "Order Completed",`,
    `    "properties": { "order_id": "o-1001", "revenue": 64.5, "currency": "EUR",`,
    `      "products": [{ "product_id": "p-1", "name": "Trail Shoe", "price": 64.5, "quantity": 1 }] }`,
    `  }'`,
  ].join('\n');
  print('');
  print('Signal sandbox is running. No accounts needed: the vendors below are local fakes.');
  print('');
  print(`  debugger      ${url}/debugger?token=${devAdminToken}   (live events, payloads, vendor responses; make a fake vendor fail under Integrations)`);
  print(`  collector     ${url}/v1/track  (also /v1/page, /v1/identify, /v1/group, /v1/batch)`);
  print(`  write key     ${devWriteKey}   (HTTP Basic user name, or "writeKey" in the body)`);
  print(`  delivery log  ${url}/api/deliveries   ·   ${url}/api/events/<message_id>   (Authorization: Bearer ${devAdminToken})`);
  print(`  metrics       ${url}/metrics`);
  print(`  data          ${dataDir}/signal.db`);
  print(`  config        ${configFile}   (try: signal deliveries -c ${configFile})`);
  for (const v of vendors.vendors) print(`  fake ${v.name.padEnd(13)}${v.url}`);
  print('');
  print('Send an Order Completed track:');
  print('');
  print(curl);
  print('');
  print('Each delivery attempt appears below: integration, event, state, HTTP status, duration. Ctrl-C stops.');
  print('To see retries, a pause, a dead letter and a replay: in the debugger, Integrations → "Fake vendor answers".');
  print('');
  return {
    runner,
    vendors,
    config,
    stop: async () => {
      await runner.stop();
      await vendors.close();
    },
  };
}

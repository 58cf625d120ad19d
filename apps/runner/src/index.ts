export { startRunner, RunnerStartError, type Runner, type RunnerOptions, type AttemptEvent } from './runner.js';
export { ConfigError, loadConfigFile, loadConfigText, loadPlugin, configSchema, type LoadedConfig, type SignalConfig } from './config/index.js';
export { startSandbox, type Sandbox, type SandboxOptions } from './dev/sandbox.js';
export { startFakeVendors, type FakeVendor, type FakeVendors } from './dev/fake-vendors.js';
export type * from './spool/types.js';

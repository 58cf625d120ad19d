export { ConfigError, formatConfigIssues, type ConfigIssue } from './config-error.js';
export { loadConfigFile, loadConfigText, type LoadedConfig, type LoadedIntegration, type LoadOptions } from './load.js';
export { loadPlugin } from './plugins.js';
export { configSchema, type SignalConfig, type IntegrationEntry, type StorageConfig } from './schema.js';

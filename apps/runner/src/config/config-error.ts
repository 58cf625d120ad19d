import { SignalError } from '@signal/core';

export interface ConfigIssue {
  /** Where in the config, e.g. `integrations[1].settings.region` (or `(file)`). */
  path: string;
  message: string;
  /** 1-based line in the config file, when known. */
  line?: number;
}

/**
 * The config cannot be used as written. The message names the file, each
 * offending path (with its line) and what to do; it never contains values,
 * because config values are often secrets.
 */
export class ConfigError extends SignalError {
  readonly kind = 'config';
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(formatConfigIssues(file, issues));
  }
}

export function formatConfigIssues(file: string, issues: readonly ConfigIssue[]): string {
  const head = `${file}: ${issues.length === 1 ? 'a problem' : `${issues.length} problems`} in the config`;
  const lines = issues.map((i) => `  - ${i.path}${i.line === undefined ? '' : ` (line ${i.line})`}: ${i.message}`);
  return [head, ...lines].join('\n');
}

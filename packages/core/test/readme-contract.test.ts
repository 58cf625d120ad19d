import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as core from '@signal/core';

/**
 * packages/core/README.md documents the whole plugin contract (issue #12): every
 * member of the definition, the contexts, Outgoing, capabilities, limits, the
 * result constructors and the typed errors. A member added to the types
 * without a line in the README fails here.
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const source = (file: string) => readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');

function membersOf(file: string, name: string): string[] {
  const text = source(file);
  const start = text.indexOf(`interface ${name}`);
  expect(start, `${name} in src/${file}`).toBeGreaterThanOrEqual(0);
  const body = text.slice(text.indexOf('{', start) + 1);
  let depth = 1;
  let end = 0;
  for (; end < body.length && depth > 0; end++) {
    if (body[end] === '{') depth++;
    if (body[end] === '}') depth--;
  }
  // Top-level members only: `name:` / `name?:` / `name(` at the start of a line.
  return [...body.slice(0, end).matchAll(/^ {2}(?:readonly )?([A-Za-z]+)\??[:(]/gm)].map((m) => m[1]!);
}

describe('the core README documents the plugin contract', () => {
  it.each([
    ['destination.ts', 'DestinationDefinition'],
    ['destination.ts', 'DestinationCapabilities'],
    ['destination.ts', 'DestinationLimits'],
    ['batching.ts', 'BatchLimits'],
    ['destination.ts', 'TransformContext'],
    ['destination.ts', 'RequestContext'],
    ['destination.ts', 'Outgoing'],
    ['http.ts', 'HttpRequest'],
    ['http.ts', 'HttpResponse'],
  ])('every member of %s %s', (file, name) => {
    const members = membersOf(file, name);
    expect(members.length).toBeGreaterThan(1);
    for (const m of members) expect(readme, `${name}.${m}`).toMatch(new RegExp(`\\b${m}\\b`));
  });

  it('every result constructor and typed error', () => {
    for (const name of ['delivered', 'retry', 'rejected', 'authFailure', 'dropped']) {
      expect(typeof (core as Record<string, unknown>)[name], name).toBe('function');
      expect(readme).toContain(`\`${name}(`);
    }
    for (const name of ['PayloadValidationError', 'RetryableError', 'InvalidAuthError', 'SettingsError', 'ContractError']) {
      expect(typeof (core as Record<string, unknown>)[name], name).toBe('function');
      expect(readme).toContain(`\`${name}`);
    }
  });

  it('every conformance check by name', async () => {
    const { conformanceChecks } = await import('@signal/core/testkit');
    const { examplePlugin, exampleAccept, exampleEvents, exampleRecords } = await import('./fixtures/example-plugin.js');
    const names = conformanceChecks({ plugin: examplePlugin, settings: { api_key: 'example-secret-key' }, events: exampleEvents, vendor: { accept: exampleAccept, records: exampleRecords } }).map((c) => c.name);
    for (const name of names) {
      // Status checks are documented as a list of codes per class, the network faults together.
      const status = /^HTTP (\d+) → (\w+)$/.exec(name);
      const documented = status !== null ? readme.includes(status[1]!) && readme.includes(`→ ${status[2]}`) : /^network \w+ → retry$/.test(name) ? readme.includes('network reset / timeout → retry') : readme.includes(name);
      expect(documented, name).toBe(true);
    }
  });
});

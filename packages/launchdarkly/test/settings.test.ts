import { createIntegration, SettingsError } from '@signal/core';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { settings } from './harness.js';

function settingsIssues(input: unknown): { path: string; message: string }[] {
  try {
    createIntegration(plugin, { settings: input });
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).issues;
  }
  return [];
}

describe('settings', () => {
  it('names each missing required field', () => {
    expect(settingsIssues({}).map((i) => i.path).sort()).toEqual(['settings.access_token', 'settings.environment_key', 'settings.project_key']);
  });

  it('explains what the access token needs', () => {
    const [issue] = settingsIssues({ ...settings, access_token: '  ' });
    expect(issue).toMatchObject({ path: 'settings.access_token' });
    expect(issue!.message).toContain('importEventData');
  });

  it('defaults events_host to events.launchdarkly.com', () => {
    expect(createIntegration(plugin, { settings }).settings).toMatchObject({ events_host: 'events.launchdarkly.com' });
  });

  it.each(['events.eu.launchdarkly.com', 'events.launchdarkly.us', 'ld-relay.internal:8030'])('accepts the bare host %s', (host) => {
    expect(createIntegration(plugin, { settings: { ...settings, events_host: host } }).settings).toMatchObject({ events_host: host });
  });

  it.each(['https://events.eu.launchdarkly.com', 'events.launchdarkly.com/v2', 'user:pw@events.launchdarkly.com', 'events launchdarkly', ''])(
    'rejects %j as events_host, naming the field and the documented cells',
    (host) => {
      const issues = settingsIssues({ ...settings, events_host: host });
      expect(issues).toHaveLength(1);
      expect(issues[0]!.path).toBe('settings.events_host');
      expect(issues[0]!.message).toContain('events.eu.launchdarkly.com');
    },
  );

  it('never echoes the token in a settings error', () => {
    const error = (() => {
      try {
        createIntegration(plugin, { settings: { access_token: 'api-secret-value-123', project_key: '' } });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toBeDefined();
    expect(error!.message).not.toContain('api-secret-value-123');
  });
});

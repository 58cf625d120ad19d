import { createIntegration, SettingsError } from '@signal/core';
import { describe, expect, it } from 'vitest';
import webhook from '../src/index.js';

function issuesOf(settings: unknown): { path: string; message: string }[] {
  try {
    createIntegration(webhook, { settings });
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).issues;
  }
  throw new Error('expected the settings to be refused');
}

const url = 'https://hooks.example.com/signal';

describe('settings validation names the field', () => {
  it.each([
    [{}, 'settings.url', /required/],
    [{ url: 'hooks.example.com/x' }, 'settings.url', /absolute http\(s\) URL/],
    [{ url: 'ftp://hooks.example.com/x' }, 'settings.url', /http or https/],
    [{ url: 'https://{{ properties.host }}/x' }, 'settings.url', /host and credentials must be literal/],
    [{ url: 'https://{{ user_id }}:pw@example.com/x' }, 'settings.url', /literal/],
    [{ url: `${url}/{{ user_id` }, 'settings.url', /bad template: unclosed/],
    [{ url, data: { first_name: '{{ traits.first_name' } }, 'settings.data.first_name', /bad template: unclosed/],
    [{ url, data: { x: { nested: 1 } } }, 'settings.data.x', /string/],
    [{ url, method: 'GET' }, 'settings.method', /POST, PUT or PATCH/],
    [{ url, content_type: 'text/plain' }, 'settings.content_type', /application\/json or application\/x-www-form-urlencoded/],
    [{ url, content_type: 'application/x-www-form-urlencoded' }, 'settings.data', /required with application\/x-www-form-urlencoded/],
    [{ url, content_type: 'application/x-www-form-urlencoded', data: { a: 'b' }, batch: {} }, 'settings.batch', /not possible with application\/x-www-form-urlencoded/],
    [{ url: `${url}/{{ user_id }}`, batch: { max_items: 10 } }, 'settings.batch', /one URL/],
    [{ url, batch: { max_items: 0 } }, 'settings.batch.max_items', /./],
    [{ url, headers: { 'Content-Type': 'text/plain' } }, 'settings.headers.Content-Type', /content_type/],
    [{ url, headers: { 'bad header': 'x' } }, 'settings.headers.bad header', /not a valid header name/],
    [{ url, headers: { 'X-Ok': 'a\r\nInjected: 1' } }, 'settings.headers.X-Ok', /line breaks/],
    [{ url: 'https://u:p@hooks.example.com/x', headers: { Authorization: 'Bearer t' } }, 'settings.headers.Authorization', /conflicts/],
    [{ url, contentType: 'application/json' }, 'settings', /contentType/],
  ])('%j → %s', (settings, path, message) => {
    const issues = issuesOf(settings);
    const issue = issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue!.message).toMatch(message);
  });

  it('never echoes credentials in a settings error', () => {
    const issues = issuesOf({ url: 'https://user:s3cr%ZZet@hooks.example.com/x' });
    expect(issues[0]!.path).toBe('settings.url');
    expect(JSON.stringify(issues)).not.toContain('s3cr');
  });

  it('accepts a minimal URL and fills the defaults', () => {
    const integration = createIntegration(webhook, { settings: { url } });
    expect(integration.settings).toEqual({ url, method: 'POST', content_type: 'application/json', headers: {}, max_concurrency: 10 });
    expect(integration.limits).toEqual({ maxBatchItems: 1, maxBatchBytes: undefined, maxConcurrency: 10 });
  });

  it('limits follow the batch setting', () => {
    const integration = createIntegration(webhook, { settings: { url, batch: { max_items: 50 }, max_concurrency: 3 } });
    expect(integration.limits).toEqual({ maxBatchItems: 50, maxBatchBytes: 1_000_000, maxConcurrency: 3 });
  });

  it('moves URL credentials to basic_auth, percent-decoded', () => {
    const integration = createIntegration(webhook, { settings: { url: 'https://al%40ice:p%40ss%3Aw0rd@hooks.example.com/x?y=1' } });
    expect(integration.settings).toMatchObject({ url: 'https://hooks.example.com/x?y=1', basic_auth: { username: 'al@ice', password: 'p@ss:w0rd' } });
  });
});

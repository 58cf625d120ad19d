import { createIntegration, deliverAll, SettingsError, type HttpClient, type HttpRequest } from '@signal/core';
import { describe, expect, it } from 'vitest';
import clevertap from '../src/index.js';
import { event, settings } from './harness.js';

/** An HttpClient that records where requests were addressed (before any host override) and answers success. */
function addressRecorder(): { http: HttpClient; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    http: {
      resolveUrl: (url) => url,
      async send(req: HttpRequest) {
        urls.push(req.url);
        return { status: 200, headers: {}, body: '{"status":"success","processed":1,"unprocessed":[]}' };
      },
      async close() {},
    },
  };
}

async function urlFor(overrides: Record<string, unknown>): Promise<string> {
  const { http, urls } = addressRecorder();
  const integration = createIntegration(clevertap, { settings: { account_id: settings.account_id, passcode: settings.passcode, ...overrides } });
  await deliverAll(integration, [event({ type: 'track', event: 'Logged In', user_id: 'u1' })], http);
  expect(urls).toHaveLength(1);
  return urls[0]!;
}

function settingsError(input: unknown): SettingsError {
  try {
    createIntegration(clevertap, { settings: input });
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  throw new Error('settings were accepted');
}

describe('regions and endpoint', () => {
  it.each([
    ['us1', 'https://us1.api.clevertap.com/1/upload'],
    ['in1', 'https://in1.api.clevertap.com/1/upload'],
    ['eu1', 'https://eu1.api.clevertap.com/1/upload'],
    ['sg1', 'https://sg1.api.clevertap.com/1/upload'],
    ['aps3', 'https://aps3.api.clevertap.com/1/upload'],
    ['mec1', 'https://mec1.api.clevertap.com/1/upload'],
  ])('region %s → %s', async (region, url) => {
    expect(await urlFor({ region })).toBe(url);
  });

  it('an explicit endpoint overrides the region host', async () => {
    expect(await urlFor({ region: 'eu1', endpoint: 'https://api.clevertap.com/1/upload' })).toBe('https://api.clevertap.com/1/upload');
  });

  it('an endpoint given as a bare host gets /1/upload, and needs no region', async () => {
    expect(await urlFor({ endpoint: 'https://proxy.example.com' })).toBe('https://proxy.example.com/1/upload');
  });

  it('an unknown region is refused, naming the field and the choices', () => {
    const error = settingsError({ ...settings, region: 'eu2' });
    expect(error.issues.map((i) => i.path)).toEqual(['settings.region']);
    expect(error.message).toContain('us1, in1, eu1, sg1, aps3, mec1');
  });

  it('neither region nor endpoint → settings.region is required', () => {
    const error = settingsError({ account_id: 'a', passcode: 'p' });
    expect(error.issues.map((i) => i.path)).toEqual(['settings.region']);
  });

  it('missing credentials name account_id and passcode, never a passcode value', () => {
    const error = settingsError({ region: 'us1', passcode: '' });
    expect(error.issues.map((i) => i.path).sort()).toEqual(['settings.account_id', 'settings.passcode']);
  });

  it('a non-http endpoint is refused', () => {
    const error = settingsError({ ...settings, endpoint: 'ftp://api.clevertap.com/1/upload' });
    expect(error.issues.map((i) => i.path)).toEqual(['settings.endpoint']);
  });
});

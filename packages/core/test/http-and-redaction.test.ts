import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkByLimits, classifyHttpStatus, createHttpClient, createRedactor, redactHeaders, rewriteUrl, REDACTED } from '@signal/core';
import { startFakeVendor, type FakeVendor } from '@signal/core/testkit';

describe('classifyHttpStatus', () => {
  it.each([
    [200, undefined],
    [202, undefined],
    [408, 'retry'],
    [409, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [599, 'retry'],
    [401, 'auth'],
    [403, 'auth'],
    [400, 'rejected'],
    [404, 'rejected'],
    [301, 'rejected'],
  ])('%i → %s', (status, want) => {
    expect(classifyHttpStatus({ status, headers: {} })?.status).toBe(want);
  });
});

describe('createHttpClient', () => {
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await startFakeVendor((req) => (req.path.startsWith('/slow') ? { fault: 'timeout' } : req.path.startsWith('/reset') ? { fault: 'reset' } : { status: 201, body: { got: req.body } }));
  });
  afterAll(() => vendor.close());

  it('sends to the overridden host, keeping path and query', async () => {
    const http = createHttpClient({ hostOverrides: { 'api.vendor.test': vendor.url } });
    const res = await http.send({ method: 'POST', url: 'https://api.vendor.test/v1/x?a=1', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toEqual({ got: 'hi' });
    expect(vendor.requests.at(-1)?.path).toBe('/v1/x?a=1');
    await http.close();
  });

  it('turns timeouts and resets into NetworkError without the URL (it may hold credentials)', async () => {
    const http = createHttpClient({ hostOverrides: { '*': vendor.url }, timeoutMs: 200 });
    await expect(http.send({ method: 'GET', url: 'https://x.test/slow?key=sekrit', headers: {} })).rejects.toMatchObject({ kind: 'network', code: 'timeout' });
    const reset = http.send({ method: 'GET', url: 'https://x.test/reset?key=sekrit', headers: {} });
    await expect(reset).rejects.toMatchObject({ kind: 'network' });
    await expect(reset).rejects.not.toThrow(/sekrit/);
    await http.close();
  });

  it('rewrites only matching hosts', () => {
    expect(rewriteUrl('https://a.test/p?q=1', { 'b.test': 'http://127.0.0.1:1' })).toBe('https://a.test/p?q=1');
    expect(rewriteUrl('https://a.test/p?q=1', { 'a.test': 'http://127.0.0.1:1' })).toBe('http://127.0.0.1:1/p?q=1');
  });
});

describe('redaction', () => {
  it('masks secrets raw, URL-encoded and JSON-escaped, and sensitive headers', () => {
    const redact = createRedactor(['p@ss w/rd"x', undefined, 'ab']);
    expect(redact('key=p%40ss%20w%2Frd%22x&b=ab')).toBe(`key=${REDACTED}&b=ab`);
    expect(redact(JSON.stringify({ k: 'p@ss w/rd"x' }))).toBe(`{"k":"${REDACTED}"}`);
    expect(redactHeaders({ Authorization: 'Basic Zm9v', 'X-CleverTap-Passcode': 'zzz', accept: 'p@ss w/rd"x' }, redact)).toEqual({ Authorization: REDACTED, 'X-CleverTap-Passcode': REDACTED, accept: REDACTED });
  });
});

describe('chunkByLimits', () => {
  const item = (userKey: string, bytes = 10) => ({ userKey, bytes });
  it('splits by items, bytes and distinct users, in order', () => {
    expect(chunkByLimits([item('a'), item('b'), item('c')], { maxBatchItems: 2 }).map((c) => c.length)).toEqual([2, 1]);
    expect(chunkByLimits([item('a', 60), item('a', 60), item('a', 10)], { maxBatchItems: 10, maxBatchBytes: 100 }).map((c) => c.length)).toEqual([1, 2]);
    expect(chunkByLimits([item('a'), item('b'), item('a'), item('c')], { maxBatchItems: 10, maxDistinctUsers: 2 }).map((c) => c.map((i) => i.userKey).join(''))).toEqual(['aba', 'c']);
    expect(chunkByLimits([item('a', 500)], { maxBatchItems: 10, maxBatchBytes: 100 })).toHaveLength(1);
  });
});

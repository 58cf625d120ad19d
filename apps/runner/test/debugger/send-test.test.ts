import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendTestReport } from '../../src/send-test/index.js';
import { LEANPLUM_SECRET, startDebuggerRunner, type DebuggerRunner } from './runner-harness.js';

// "Send test event" in the debugger and `signal send-test` are one implementation: the same
// sample event, mapping, request and redaction, so what a user tries in one holds in the other.
const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const TOKEN = 'send-test-admin-token';
let runner: DebuggerRunner;

beforeAll(async () => {
  runner = await startDebuggerRunner(TOKEN);
});
afterAll(async () => {
  await runner?.stop();
});

const viaDebugger = async (integration: string, body: unknown) =>
  fetch(`${runner.url}/debugger/api/integrations/${integration}/send-test`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** The request as sent, without what differs per run (the sample event's id and clock). */
const stable = (report: { exchanges: { request: { method: string; url: string; body: string } }[] }) =>
  report.exchanges.map((x) => ({ method: x.request.method, url: x.request.url.replace(/([?&]time=)\d+/, '$1T'), body: x.request.body.replace(/send-test-\d+/g, 'ID').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T').replace(/([?&]time=)[\d.]+/g, '$1T') }));

describe('send test event', () => {
  it('the debugger button and signal send-test send the same request and report it the same way', async () => {
    const before = runner.vendors.leanplum.requests.length;
    const res = await viaDebugger('leanplum', { event: 'Order Completed' });
    expect(res.status).toBe(200);
    const fromPage = (await res.json()) as SendTestReport & { passed: boolean; payload: Record<string, unknown> };
    const { stdout } = await run(process.execPath, [cli, 'send-test', 'leanplum', '-c', runner.configFile, '--event', 'Order Completed', '--json']);
    const fromCli = JSON.parse(stdout) as SendTestReport & { payload: Record<string, unknown> };

    expect(fromPage.passed).toBe(true);
    expect(fromPage.result).toEqual({ status: 'delivered' });
    expect(fromCli.result).toEqual(fromPage.result);
    expect(Object.keys(fromCli).sort()).toEqual(Object.keys(fromPage).filter((k) => k !== 'passed').sort());
    expect(fromPage.payload).toMatchObject({ action: 'track', event: 'Purchase', value: 64.5, currencyCode: 'EUR' });
    expect(fromCli.payload).toEqual({ ...fromPage.payload, time: fromCli.payload.time });
    expect(stable(fromCli)).toEqual(stable(fromPage));
    // Both reached the vendor, with the real secret; neither shows it.
    expect(runner.vendors.leanplum.requests.length - before).toBe(2);
    expect(runner.vendors.leanplum.requests.slice(before).every((r) => (r.path + r.body).includes(LEANPLUM_SECRET))).toBe(true);
    expect(stdout).not.toContain(LEANPLUM_SECRET);
    expect(JSON.stringify(fromPage)).not.toContain(LEANPLUM_SECRET);
    // Not stored: a test send is not an event in the delivery log.
    expect((await runner.runner.spool.findEvents({ user: 'signal-test-user' })).events).toEqual([]);
  });

  it('reports a failing vendor and a dropped event as such, and refuses bad input clearly', async () => {
    runner.vendors.webhook.respond(() => ({ status: 500, body: { error: 'boom' } }));
    const failing = (await (await viaDebugger('webhook', {})).json()) as SendTestReport & { passed: boolean };
    expect(failing.passed).toBe(false);
    expect(failing.result).toMatchObject({ status: 'retry' });
    expect(failing.exchanges[0]!.response!.status).toBe(500);
    runner.vendors.webhook.respond(() => ({ status: 200, body: { ok: true } }));

    // crm needs consent the sample event has; its map drops "Debug Noise".
    const dropped = (await (await viaDebugger('crm', { event: 'Debug Noise' })).json()) as SendTestReport;
    expect(dropped).toMatchObject({ passed: true, result: { status: 'dropped' }, exchanges: [] });
    expect(dropped.payload).toBeUndefined();

    expect((await viaDebugger('nope', {})).status).toBe(404);
    const bad = await viaDebugger('webhook', { event: 'x'.repeat(201) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^event: /);
    expect((await viaDebugger('webhook', { unexpected: 1 })).status).toBe(400);
  });
});

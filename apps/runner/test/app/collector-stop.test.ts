import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Spool } from '../../src/spool/types.js';
import { basic, KEY, startCollector, track, type TestCollector } from './helpers/collector-server.js';
import { eventually } from './helpers/vendors.js';

let collector: TestCollector | undefined;
afterEach(async () => {
  await collector?.close().catch(() => undefined);
  collector = undefined;
});

const request = (body: object): string => {
  const json = JSON.stringify(body);
  return `POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(KEY)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
};

describe('collector while the server stops', () => {
  it('a request in flight is answered 200 and kept; one that arrives once the stop began is refused 503 (connection closed), not stored', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let appends = 0;
    collector = await startCollector({
      wrap: (spool: Spool) => ({
        ...spool,
        append: async (items) => {
          // The first append waits for the test: the stop begins while it is in flight.
          if (appends++ === 0) await gate;
          return spool.append(items);
        },
      }),
    });
    const first = track();
    const second = track();
    // One keep-alive connection: the first request is in flight (its append held) when the stop
    // begins, so the connection is busy and stays open; the second arrives on it after that.
    const socket = connect(collector.port, '127.0.0.1');
    socket.on('error', () => {});
    let raw = '';
    socket.on('data', (chunk) => (raw += chunk.toString('latin1')));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(request(first));
    await eventually(async () => (appends === 1 ? true : undefined), 'the first append to start');
    const closing = collector.app.close();
    await eventually(async () => (collector!.app.server.listening ? undefined : true), 'the server to stop listening');
    socket.write(request(second));
    await eventually(async () => (collector!.rejections.length === 1 ? true : undefined), 'the second request to be refused');
    release();
    await ended;
    await closing;
    const statuses = [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 503]);
    const secondAnswer = raw.slice(raw.lastIndexOf('HTTP/1.1 '));
    expect(secondAnswer).toMatch(/\r\nconnection: close\r\n/i);
    expect(secondAnswer).toMatch(/\r\nretry-after: \d+\r\n/i);
    expect(secondAnswer).toContain('the runner is shutting down');
    expect(appends).toBe(1);
    expect((await collector.spool.event(first.messageId, 'web'))?.event.message_id).toBe(first.messageId);
    expect(await collector.spool.event(second.messageId, 'web')).toBeUndefined();
  });
});

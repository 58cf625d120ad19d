import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync, type ZlibOptions } from 'node:zlib';
import type { InflightBodies } from './inflight.js';
import { retryAfterSeconds } from './limits.js';
import { Refusal } from './refusal.js';

/**
 * Reads an ingest request body: JSON (also as text/plain, which browsers' sendBeacon sends),
 * optionally gzip/deflate/br encoded, within a size limit that applies to the decoded bytes,
 * a deadline, and the shared cap on body bytes in memory (InflightBodies).
 *
 * The encoded bytes are buffered (at most the limit plus a little) and decoded once complete,
 * synchronously, with zlib stopping at the limit: a zip bomb costs one capped decode, and a
 * stalled upload holds only its bytes so far, never a decoder's window (gzip ~40 KB, brotli up
 * to 16 MB per stream).
 */

/**
 * All read as JSON. `application/x-www-form-urlencoded`: RudderStack's Node SDK labels its
 * (gzipped) JSON body so by default, and RudderStack's own server reads it as JSON; form fields
 * proper are not an ingest format (a body that is not JSON is a 400 like any other).
 */
export const supportedContentTypes = ['application/json', 'text/plain', 'application/x-www-form-urlencoded'] as const;
export const supportedEncodings = ['gzip', 'deflate', 'br'] as const;

/** How long a body's rate is watched before it may be judged too slow to arrive in time. */
const hopelessAfterMs = 1_000;

type Decoder = (buffer: Buffer, options: ZlibOptions) => Buffer;

/** HTTP "deflate" is zlib-wrapped (RFC 9110), but some clients send raw deflate: accept both. */
const inflateEither: Decoder = (buffer, options) => {
  const zlibHeader = buffer.length >= 2 && (buffer[0]! & 0x0f) === 8 && ((buffer[0]! << 8) | buffer[1]!) % 31 === 0;
  return zlibHeader ? inflateSync(buffer, options) : inflateRawSync(buffer, options);
};

const decoders: Record<string, Decoder> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateEither,
  br: brotliDecompressSync,
};

export interface BodyReadOptions {
  /** Decoded bytes allowed. */
  maxBytes: number;
  timeoutMs: number;
  inflight: InflightBodies;
}

export interface IngestBody {
  value: unknown;
  /** Decoded size in bytes. */
  bytes: number;
}

/** Only for the message: `Content-Type: <what they sent>` without control characters, short. */
function shown(header: string): string {
  const clean = header.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}

export function unsupportedContentType(contentType: string | undefined): Refusal {
  const what = contentType === undefined ? 'a missing content type' : `content type "${shown(contentType)}"`;
  return new Refusal(415, `${what} is not supported; send the body as application/json (JSON is also read from text/plain, for browsers' sendBeacon, and from application/x-www-form-urlencoded, as RudderStack's SDKs label it)`, { close: true });
}

function mediaTypeOf(header: string | undefined): string {
  if (header === undefined) return '';
  const semi = header.indexOf(';');
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}

function decoderFor(header: string | string[] | undefined): { name: string; decode?: Decoder } {
  const name = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (name === '' || name === 'identity') return { name: 'identity' };
  const decode = decoders[name];
  if (decode === undefined) {
    throw new Refusal(415, `Content-Encoding "${shown(name)}" is not supported; send the body uncompressed or as one of ${supportedEncodings.join(', ')}`, { close: true });
  }
  return { name, decode };
}

const tooLarge = (maxBytes: number, decoded: boolean) =>
  new Refusal(413, `request body is larger than ${maxBytes / 1024} KB${decoded ? ' once decoded' : ''}; send fewer events per request`, { close: true });

/** V8's messages may quote part of the body (which may hold the write key): keep only the part before any quote. */
function jsonErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quote = message.indexOf('"');
  const text = (quote === -1 ? message : message.slice(0, quote)).replace(/[\s,.…]+$/, '');
  return text === '' ? 'syntax error' : text;
}

function parseJson(decoded: Buffer): unknown {
  let text = decoded.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (error) {
    // Only a body that failed to parse is looked at again (trim copies the whole text).
    if (text.trim() === '') throw new Refusal(400, 'the body is empty; send one JSON object');
    throw new Refusal(400, `invalid JSON: ${jsonErrorText(error)}`);
  }
}

function decode(name: string, decoder: Decoder, encoded: Buffer, maxBytes: number): Buffer {
  try {
    return decoder(encoded, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw tooLarge(maxBytes, true);
    throw new Refusal(400, `the body is not valid ${name} data (${(error as Error).message}); check the Content-Encoding header`);
  }
}

/**
 * The body as parsed JSON. Rejects with a Refusal: 413 over the limit, 415 unsupported type or
 * encoding, 400 bad encoding or JSON, 408 too slow, 503 evicted under memory pressure.
 */
export function readIngestBody(headers: IncomingHttpHeaders, payload: IncomingMessage, options: BodyReadOptions): Promise<IngestBody> {
  const { maxBytes, timeoutMs, inflight } = options;
  const contentType = headers['content-type'];
  const media = mediaTypeOf(contentType);
  if (media !== '' && !(supportedContentTypes as readonly string[]).includes(media)) return Promise.reject(unsupportedContentType(contentType));
  let encoding: ReturnType<typeof decoderFor>;
  try {
    encoding = decoderFor(headers['content-encoding']);
  } catch (error) {
    return Promise.reject(error as Error);
  }
  // Compressed output is at most ~0.1% larger than its input (stored blocks), so this never refuses a body within the limit.
  const maxEncoded = encoding.decode === undefined ? maxBytes : maxBytes + Math.ceil(maxBytes / 256) + 1024;
  const declared = Number(headers['content-length']);
  if (declared > maxEncoded) return Promise.reject(tooLarge(maxBytes, false));

  return new Promise<IngestBody>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const cleanup = () => {
      settled = true;
      clearTimeout(timer);
      clearInterval(judging);
      inflight.finish(entry);
      payload.off('data', onData);
      payload.off('end', onEnd);
      payload.off('error', onGone);
      payload.off('close', onGone);
    };
    const fail = (refusal: Refusal) => {
      if (settled) return;
      cleanup();
      chunks.length = 0;
      // Read no more of it: the answer closes the connection, and bytes read now would only be garbage.
      payload.pause();
      reject(refusal);
    };
    // Time spent paused (our doing, under the in-flight cap) does not count against a body's rate.
    let pausedMs = 0;
    let pausedAt: number | undefined;
    let judging: NodeJS.Timeout | undefined;
    /**
     * True when the body cannot arrive by the deadline even at twice its rate so far: refused now,
     * not at the deadline, so a trickling upload holds a second of its bytes, not a whole timeout's.
     */
    const hopeless = (now: number): boolean => {
      if (!(declared > received)) return false;
      const elapsed = now - entry.startedAt;
      const active = elapsed - pausedMs - (pausedAt === undefined ? 0 : now - pausedAt);
      if (elapsed < hopelessAfterMs || active < hopelessAfterMs / 4) return false;
      return (received / active) * 2 * (timeoutMs - elapsed) < declared - received;
    };
    const tooSlow = (now: number) =>
      new Refusal(
        408,
        `the request body is arriving too slowly to finish within ${timeoutMs / 1000} s (${Math.round(received / 1024)} of ${Math.round(declared / 1024)} KB after ${((now - entry.startedAt) / 1000).toFixed(1)} s); send it faster or in smaller requests`,
        { close: true },
      );
    const entry = inflight.start({
      pause: () => {
        payload.pause();
        pausedAt = Date.now();
        judging = setInterval(() => {
          const now = Date.now();
          if (hopeless(now)) fail(tooSlow(now));
        }, hopelessAfterMs / 2);
        judging.unref();
      },
      resume: () => {
        clearInterval(judging);
        if (pausedAt !== undefined) pausedMs += Date.now() - pausedAt;
        pausedAt = undefined;
        payload.resume();
      },
      evict: () =>
        fail(
          new Refusal(503, 'the collector is receiving too many request bodies at once and this one was among the slowest; retry', {
            retryAfterSeconds: retryAfterSeconds.overload,
            unavailable: 'overload',
            close: true,
          }),
        ),
    });
    const timer = setTimeout(
      () => fail(new Refusal(408, `the request body did not arrive within ${timeoutMs / 1000} s; send it faster or in smaller requests`, { close: true })),
      timeoutMs,
    );
    timer.unref();
    function onData(chunk: Buffer) {
      received += chunk.length;
      if (received > maxEncoded) {
        fail(tooLarge(maxBytes, false));
        return;
      }
      chunks.push(chunk);
      inflight.add(entry, chunk.length, received === declared);
      if (settled) return;
      const now = Date.now();
      if (hopeless(now)) fail(tooSlow(now));
    }
    function onEnd() {
      if (settled) return;
      cleanup();
      try {
        const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
        const decoded = encoding.decode === undefined ? raw : decode(encoding.name, encoding.decode, raw, maxBytes);
        if (decoded.length > maxBytes) throw tooLarge(maxBytes, false);
        resolve({ value: parseJson(decoded), bytes: decoded.length });
      } catch (error) {
        reject(error as Error);
      }
    }
    function onGone() {
      fail(new Refusal(400, 'the client closed the connection before the body arrived', { close: true, clientGone: true }));
    }
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onGone);
    payload.on('close', onGone);
  });
}

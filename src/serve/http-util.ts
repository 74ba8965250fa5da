/** Request bodies with a limit checked before parsing, and JSON replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Duplex, type Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip, createInflate, createInflateRaw, type Inflate, type InflateRaw } from 'node:zlib';
import { replyJson } from './exact-json.js';
import { tooDeep } from './json-depth.js';

/** An answer with an HTTP status: `{"error": message}` is what the client sees. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The client went away before its answer: logged and counted as 499, as nginx does; nothing is sent. */
export class ClientAborted extends HttpError {
  constructor() {
    super(499, 'the client closed the connection before its answer');
  }
}

export interface BodyOptions {
  /** The most bytes the body may hold, after decoding (413 beyond). */
  limit: number;
  /** The whole body must arrive within this (408, then the connection closes): a slow sender cannot hold it. */
  timeoutMs?: number;
}

/**
 * HTTP's deflate is zlib-wrapped (RFC 9110), but some clients send raw deflate: the first
 * two bytes say which (a zlib header is method 8 and a multiple of 31), and the body is
 * inflated by the one that fits.
 */
class AnyDeflate extends Transform {
  private inner?: Inflate | InflateRaw;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.inner) {
      const zlib = chunk.length >= 2 ? (chunk[0] & 0x0f) === 8 && ((chunk[0] << 8) | chunk[1]) % 31 === 0 : false;
      const inner = zlib ? createInflate() : createInflateRaw();
      inner.on('data', (d: Buffer) => this.push(d));
      inner.on('error', (err) => this.destroy(err));
      this.inner = inner;
    }
    if (this.inner.write(chunk)) done();
    else this.inner.once('drain', () => done());
  }

  override _flush(done: TransformCallback): void {
    if (!this.inner) {
      done();
      return;
    }
    this.inner.once('end', () => done());
    this.inner.end();
  }
}

/**
 * A decoder for the body's Content-Encoding: gzip and deflate are decoded (zlib runs on
 * libuv's pool, off the event loop), identity passes; anything else is 415 naming it.
 */
function decoderFor(req: IncomingMessage): Duplex | undefined {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  if (encoding === 'deflate') return new AnyDeflate();
  throw new HttpError(
    415,
    `the body's Content-Encoding ${JSON.stringify(encoding)} is not supported: send it as identity, gzip or deflate`,
    { connection: 'close' },
  );
}

/**
 * The body, refused with 413 as soon as it passes `limit` bytes (by Content-Length, by
 * counting a chunked one, and by counting the decoded bytes of a gzip/deflate one, so a
 * zip bomb stops at the limit). The rest of an oversized body is read and dropped while
 * the 413 is sent, so the client sees the answer, not a reset; the connection then closes.
 * A body that does not arrive within `timeoutMs` is 408 and its connection is closed.
 * A client that closes the connection first is `ClientAborted`.
 */
/** Bodies declaring at least this many bytes are copied into one buffer as they arrive. */
const DIRECT_BODY_BYTES = 64 * 1024;

export function readBody(req: IncomingMessage, limitOrOptions: number | BodyOptions): Promise<Buffer> {
  const { limit, timeoutMs } = typeof limitOrOptions === 'number' ? { limit: limitOrOptions } : limitOrOptions;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(
      new HttpError(413, `the body is ${declared} bytes; the limit is ${limit} (--max-body)`, { connection: 'close' }),
    );
  let decoder: Duplex | undefined;
  try {
    decoder = decoderFor(req);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // A large body of declared length is copied into one buffer as it arrives: Buffer.concat of a
    // 47 MB body held the event loop for about 100 ms at its end. Its own ArrayBuffer, so the parse
    // worker takes it without a copy.
    let direct =
      !decoder && Number.isFinite(declared) && declared >= DIRECT_BODY_BYTES
        ? Buffer.allocUnsafeSlow(declared)
        : undefined;
    let raw = 0;
    let size = 0;
    let settled = false;
    const done = (err: Error | undefined, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        // Drop what is left (a client still sending gets its answer, not a reset), decode no more.
        source.off('data', onData);
        if (decoder) {
          req.unpipe(decoder);
          decoder.destroy();
        }
        req.resume();
        reject(err);
      } else resolve(body as Buffer);
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            done(
              new HttpError(408, `the body did not arrive within ${timeoutMs} ms (--timeout)`, {
                connection: 'close',
              }),
            );
            // A slow sender keeps sending: its connection goes once the 408 had a moment to leave.
            setTimeout(() => req.socket?.destroy(), 200).unref();
          }, timeoutMs);
    const tooLarge = () =>
      new HttpError(413, `the body is over the limit of ${limit} bytes (--max-body)`, { connection: 'close' });
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return done(tooLarge());
      if (direct && size <= direct.length) return void chunk.copy(direct, size - chunk.length);
      if (direct) {
        chunks.push(direct.subarray(0, size - chunk.length));
        direct = undefined;
      }
      chunks.push(chunk);
    };
    // Raw bytes count too: a compressed body is never read past the limit either.
    req.on('data', (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > limit) done(tooLarge());
    });
    const source: Readable = decoder ? req.pipe(decoder) : req;
    source.on('data', onData);
    source.once('end', () =>
      done(undefined, direct ? (size === direct.length ? direct : direct.subarray(0, size)) : Buffer.concat(chunks)),
    );
    decoder?.once('error', (err) =>
      done(new HttpError(400, `the body is not valid ${req.headers['content-encoding']}: ${err.message}`)),
    );
    req.once('error', (err) => done(req.complete ? err : new ClientAborted()));
    // 'close' before the whole message arrived: the client went away mid-body.
    req.once('close', () => {
      if (!req.complete) done(new ClientAborted());
    });
  });
}

/** A JSON body, its nesting checked first (json-depth.ts): 400 for too deep or not JSON. */
export function parseJson(body: Buffer): unknown {
  const deep = tooDeep(body);
  if (deep) throw new HttpError(400, deep);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `the body is not JSON: ${(err as Error).message}`);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = replyJson(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

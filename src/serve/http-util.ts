/** Request bodies with a limit checked before parsing, and JSON replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { replyJson } from './exact-json.js';

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

/**
 * The body, refused with 413 as soon as it passes `limit` bytes (by Content-Length or by
 * counting a chunked one). The rest of an oversized body is read and dropped while the 413
 * is sent, so the client sees the answer, not a reset; the connection then closes.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(
      new HttpError(413, `the body is ${declared} bytes; the limit is ${limit} (--max-body)`, { connection: 'close' }),
    );
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(
          new HttpError(413, `the body is over the limit of ${limit} bytes (--max-body)`, { connection: 'close' }),
        );
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('aborted', () => reject(new HttpError(400, 'the client closed the connection before the body ended')));
  });
}

export function parseJson(body: Buffer): unknown {
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

/**
 * Large OIP infer bodies are parsed in a worker thread (parse-worker.ts), so
 * the event loop only routes: a 30 MB body costs the loop a message, not
 * 400 ms of JSON.parse and tensor building plus the major GC of its parsed
 * tree. One worker (inference already has its own threads); at most
 * `maxWaiting` bodies queue for it, the next is 503 with Retry-After, which
 * also bounds the memory held by bodies waiting to be parsed.
 */
import { Worker } from 'node:worker_threads';
import { HttpError } from './http-util.js';
import type { ParseReply } from './parse-worker.js';

/** Bodies from this size go to the worker; smaller ones parse faster on the loop than a round trip costs. */
export const LARGE_BODY_BYTES = 1024 * 1024;

export class ParsePool {
  private worker?: Worker;
  private readonly pending = new Map<number, { resolve: (doc: unknown) => void; reject: (err: Error) => void }>();
  private nextId = 0;

  constructor(readonly maxWaiting = 8) {}

  /** The parsed document, with each convertible input's `data` already a typed array. */
  parse(body: Buffer): Promise<unknown> {
    if (this.pending.size > this.maxWaiting)
      throw new HttpError(
        503,
        `too many large bodies are waiting to be parsed (${this.pending.size}; bodies of ${LARGE_BODY_BYTES} bytes and more are parsed one at a time in a worker)`,
        { 'retry-after': '1' },
      );
    const worker = this.start();
    const id = this.nextId++;
    // A body of its own ArrayBuffer (Buffer.concat of a large body) moves to the worker without a copy.
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
    const bytes = own ? new Uint8Array(body.buffer) : new Uint8Array(body);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, body: bytes }, [bytes.buffer as ArrayBuffer]);
    });
  }

  close(): Promise<number> | undefined {
    const worker = this.worker;
    this.worker = undefined;
    return worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./parse-worker.js', import.meta.url));
    // An idle parse worker never keeps the process alive.
    worker.unref();
    worker.on('message', (reply: ParseReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if ('error' in reply)
        p.reject(
          new HttpError(reply.status ?? 400, reply.status ? reply.error : `the body is not JSON: ${reply.error}`),
        );
      else p.resolve(reply.doc);
    });
    const fail = (err: Error) => {
      // The next large body starts a fresh worker; those queued on this one are answered 500.
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the parse worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

/**
 * Large OIP infer bodies are parsed in a worker thread (parse-worker.ts), so
 * the event loop only routes: a 30 MB body costs the loop a message, not
 * 400 ms of JSON.parse and tensor building plus the major GC of its parsed
 * tree. One worker (inference already has its own threads); at most
 * `maxWaiting` bodies (64) and `maxWaitingBytes` (256 MiB) queue for it, the
 * next is 503 with Retry-After: the bytes bound the memory held by bodies
 * waiting to be parsed (40 concurrent 1 MB bodies are not an attack).
 */
import { Worker } from 'node:worker_threads';
import { HttpError } from './http-util.js';
import type { ParseReply } from './parse-worker.js';

/**
 * Bodies from this size go to the worker; smaller ones parse faster on the loop than a round trip
 * costs. At 1 MiB, 40 concurrent bodies just under it held health checks for 1.5 s on the loop;
 * 256 KiB is about 4 ms of parsing and leaves single-row requests (1 KB) where they were.
 */
export const LARGE_BODY_BYTES = 256 * 1024;

/** Bytes of bodies waiting for the worker at most (what bounds their memory), beyond the first. */
const MAX_WAITING_BYTES = 256 * 1024 * 1024;

/** How long the parse worker stays after its last body (see retireWhenIdle). */
const IDLE_RETIRE_MS = 2_000;

export class ParsePool {
  private worker?: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (doc: unknown) => void; reject: (err: Error) => void; size: number }
  >();
  private nextId = 0;
  private idleTimer?: NodeJS.Timeout;

  private pendingBytes = 0;

  constructor(
    readonly maxWaiting = 64,
    readonly maxWaitingBytes = MAX_WAITING_BYTES,
  ) {}

  /** The parsed document, with each convertible input's `data` already a typed array. */
  parse(body: Buffer): Promise<unknown> {
    const full = this.pending.size > 0 && this.pendingBytes + body.length > this.maxWaitingBytes;
    if (this.pending.size > this.maxWaiting || full)
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
    const size = body.length;
    this.pendingBytes += size;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, size });
      worker.postMessage({ id, body: bytes }, [bytes.buffer as ArrayBuffer]);
    });
  }

  close(): Promise<number> | undefined {
    const worker = this.worker;
    this.worker = undefined;
    return worker?.terminate();
  }

  /**
   * A worker idle for IDLE_RETIRE_MS ends: V8 keeps the heap a burst of large bodies grew (about
   * 400 MB of RSS after four 47 MB bodies, for good), and a fresh worker costs the next large body
   * some 50 ms. Its listeners go first, so its exit cannot fail bodies sent to its successor.
   */
  private retireWhenIdle(worker: Worker): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.worker !== worker || this.pending.size > 0) return;
      this.worker = undefined;
      worker.removeAllListeners();
      worker.on('error', () => {});
      void worker.terminate();
    }, IDLE_RETIRE_MS).unref();
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
      this.pendingBytes -= p.size;
      if ('error' in reply)
        p.reject(
          new HttpError(reply.status ?? 400, reply.status ? reply.error : `the body is not JSON: ${reply.error}`),
        );
      else p.resolve(reply.doc);
      if (this.pending.size === 0) this.retireWhenIdle(worker);
    });
    const fail = (err: Error) => {
      // The next large body starts a fresh worker; those queued on this one are answered 500.
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.pendingBytes = 0;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the parse worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

/**
 * Dynamic batching with Triton's semantics, over one or more inference workers:
 * rows of concurrent requests are joined up to `maxBatchRows`; a batch goes when
 * it is full, when its oldest request has waited `maxQueueDelayMs`, or at once
 * when nothing else is in flight (a lone request on an idle server never waits).
 * Each request gets exactly its own rows back. A full queue refuses at once.
 */
import { concatRows, sliceRows } from '../onnx/tensor-rows.js';
import type { Tensor } from '../onnx/tensor.js';
import type { Runner } from '../runtime/worker-session.js';

export interface BatcherOptions {
  maxBatchRows: number;
  maxQueueDelayMs: number;
  /** Rows waiting at most; beyond, `submit` throws QueueFull. */
  maxQueueRows: number;
  /** Join requests (the model's inputs all have a free first axis); false: each request runs alone. */
  batching: boolean;
}

export class QueueFull extends Error {}

/** A request with more rows than the queue holds: it could never be accepted, so it is not a 503. */
export class TooManyRows extends Error {}

interface Pending {
  feeds: Record<string, Tensor>;
  rows: number;
  enqueued: number;
  resolve: (out: { outputs: Record<string, Tensor>; queueMs: number; inferMs: number; batchRows: number }) => void;
  reject: (err: unknown) => void;
}

export class Batcher {
  private readonly queue: Pending[] = [];
  private queuedRows = 0;
  private readonly idle: Runner[];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Busy runners removed while running a batch: they do not come back to `idle`. */
  private readonly gone = new WeakSet<Runner>();
  /** Called once per batch run (metrics: rows per batch, inference time), not once per request. */
  onBatch?: (rows: number, inferMs: number) => void;

  constructor(
    runners: Runner[],
    private readonly fetch: string[],
    private readonly options: BatcherOptions,
  ) {
    this.idle = [...runners];
  }

  /**
   * A runner whose worker died leaves for good: out of the idle list now, or not put back when
   * the batch it holds fails. Queued requests wait for the others or for `addRunner`.
   */
  removeRunner(runner: Runner): void {
    const i = this.idle.indexOf(runner);
    if (i >= 0) this.idle.splice(i, 1);
    else this.gone.add(runner);
  }

  /** A replacement runner starts taking batches at once. */
  addRunner(runner: Runner): void {
    this.idle.push(runner);
    this.dispatch();
  }

  /** Requests accepted and not yet answered (queued or running). */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  submit(
    feeds: Record<string, Tensor>,
    rows: number,
  ): Promise<{ outputs: Record<string, Tensor>; queueMs: number; inferMs: number; batchRows: number }> {
    // One request larger than the whole queue would be accepted by an empty queue, however large.
    if (rows > this.options.maxQueueRows)
      return Promise.reject(
        new TooManyRows(
          `the request has ${rows} rows; one request may carry ${this.options.maxQueueRows} (--max-queue)`,
        ),
      );
    if (this.queuedRows + rows > this.options.maxQueueRows && this.queue.length > 0)
      return Promise.reject(new QueueFull(`${this.queuedRows} rows are waiting`));
    return new Promise((resolve, reject) => {
      this.queue.push({ feeds, rows, enqueued: performance.now(), resolve, reject });
      this.queuedRows += rows;
      this.dispatch();
    });
  }

  private dispatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.idle.length && this.queue.length) {
      const oldest = performance.now() - this.queue[0].enqueued;
      const full = this.queuedRows >= this.options.maxBatchRows;
      const quiet = this.inFlight === 0;
      if (!this.options.batching || full || quiet || oldest >= this.options.maxQueueDelayMs) {
        this.run(this.idle.pop()!, this.take());
        continue;
      }
      this.timer = setTimeout(() => this.dispatch(), Math.max(0, this.options.maxQueueDelayMs - oldest));
      return;
    }
  }

  /** The next batch: whole requests, up to maxBatchRows (a larger request goes alone). */
  private take(): Pending[] {
    const batch = [this.queue.shift()!];
    let rows = batch[0].rows;
    if (this.options.batching)
      while (this.queue.length && rows + this.queue[0].rows <= this.options.maxBatchRows) {
        const next = this.queue.shift()!;
        batch.push(next);
        rows += next.rows;
      }
    this.queuedRows -= rows;
    return batch;
  }

  private async run(runner: Runner, batch: Pending[]): Promise<void> {
    this.inFlight++;
    const started = performance.now();
    const rows = batch.reduce((n, p) => n + p.rows, 0);
    try {
      const feeds =
        batch.length === 1
          ? batch[0].feeds
          : Object.fromEntries(Object.keys(batch[0].feeds).map((k) => [k, concatRows(batch.map((p) => p.feeds[k]))]));
      const out = await runner.run(feeds, this.fetch);
      const inferMs = performance.now() - started;
      this.onBatch?.(rows, inferMs);
      let at = 0;
      for (const p of batch) {
        const mine =
          batch.length === 1
            ? out
            : Object.fromEntries(Object.entries(out).map(([k, t]) => [k, sliceRows(t, at, at + p.rows)]));
        at += p.rows;
        p.resolve({ outputs: mine, queueMs: started - p.enqueued, inferMs, batchRows: rows });
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight--;
      if (this.gone.has(runner)) this.gone.delete(runner);
      else this.idle.push(runner);
      this.dispatch();
    }
  }
}

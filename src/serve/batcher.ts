/**
 * Dynamic batching with Triton's semantics, over one or more inference workers:
 * rows of concurrent requests are joined up to `maxBatchRows`; a batch goes when
 * it is full, when its oldest request has waited `maxQueueDelayMs`, or at once
 * when nothing else is in flight (a lone request on an idle server never waits).
 * Each request gets exactly its own rows back. A full queue refuses at once.
 * A request with more rows than `maxBatchRows` runs in slices of at most that
 * many (cut when its turn comes, so only one slice is copied at a time), its
 * answer their outputs joined in order: no batch ever exceeds `maxBatchRows`,
 * so onnxruntime's arenas in the workers never grow to a 200k-row tensor and
 * keep it (1.3 GB RSS after a burst of four, before).
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

export interface BatchResult {
  outputs: Record<string, Tensor>;
  /** Time from submit to its first batch's start, and inference time summed over its batches, ms. */
  queueMs: number;
  inferMs: number;
  /** Rows of the largest batch it ran in. */
  batchRows: number;
}

interface Pending {
  feeds: Record<string, Tensor>;
  rows: number;
  enqueued: number;
  resolve: (out: BatchResult) => void;
  reject: (err: unknown) => void;
  /** Rows already handed to batches (a request larger than a batch is cut as its turn comes). */
  taken: number;
  /** Outputs of its slices by first row, joined in order once `answered` reaches `rows`. */
  parts: Array<{ from: number; outputs: Record<string, Tensor> }>;
  answered: number;
  queueMs?: number;
  inferMs: number;
  batchRows: number;
  failed: boolean;
}

/** Rows [from, to) of one request in a batch. */
interface Piece {
  p: Pending;
  from: number;
  to: number;
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

  submit(feeds: Record<string, Tensor>, rows: number): Promise<BatchResult> {
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
      this.queue.push({
        feeds,
        rows,
        enqueued: performance.now(),
        resolve,
        reject,
        taken: 0,
        parts: [],
        answered: 0,
        inferMs: 0,
        batchRows: 0,
        failed: false,
      });
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

  /**
   * The next batch: whole requests, up to maxBatchRows. A request larger than that (or the rest of
   * one) at the head gives its next maxBatchRows rows and its rest takes its turn again at the back
   * of the queue; small requests behind it join its last slice.
   */
  private take(): Piece[] {
    const max = this.options.batching ? this.options.maxBatchRows : Number.POSITIVE_INFINITY;
    const head = this.queue[0];
    const from = head.taken;
    const to = Math.min(head.rows, from + max);
    const batch: Piece[] = [{ p: head, from, to }];
    head.taken = to;
    this.queue.shift();
    // The rest of a sliced request goes behind the requests queued since: a 200k-row request does
    // not hold every worker, and the small requests behind it, for the thousands of slices it takes.
    if (to < head.rows) this.queue.push(head);
    let rows = to - from;
    if (this.options.batching && to === head.rows)
      while (this.queue.length && rows + this.queue[0].rows <= max) {
        const next = this.queue.shift()!;
        next.taken = next.rows;
        batch.push({ p: next, from: 0, to: next.rows });
        rows += next.rows;
      }
    this.queuedRows -= rows;
    return batch;
  }

  private async run(runner: Runner, batch: Piece[]): Promise<void> {
    this.inFlight++;
    const started = performance.now();
    const rows = batch.reduce((n, b) => n + b.to - b.from, 0);
    const whole = (b: Piece) => b.from === 0 && b.to === b.p.rows;
    for (const b of batch) b.p.queueMs ??= started - b.p.enqueued;
    try {
      // A slice is copied: the runner moves its buffer to the worker, which must not take the whole request's.
      const rowsOf = (b: Piece, k: string) => (whole(b) ? b.p.feeds[k] : sliceRows(b.p.feeds[k], b.from, b.to));
      const feeds =
        batch.length === 1 && whole(batch[0])
          ? batch[0].p.feeds
          : Object.fromEntries(
              Object.keys(batch[0].p.feeds).map((k) => [k, concatRows(batch.map((b) => rowsOf(b, k)))]),
            );
      const out = await runner.run(feeds, this.fetch);
      const inferMs = performance.now() - started;
      this.onBatch?.(rows, inferMs);
      let at = 0;
      for (const b of batch) {
        const n = b.to - b.from;
        const mine =
          batch.length === 1
            ? out
            : Object.fromEntries(Object.entries(out).map(([k, t]) => [k, sliceRows(t, at, at + n)]));
        at += n;
        this.answer(b, mine, inferMs, rows);
      }
    } catch (err) {
      for (const b of batch) this.fail(b.p, err);
    } finally {
      this.inFlight--;
      if (this.gone.has(runner)) this.gone.delete(runner);
      else this.idle.push(runner);
      this.dispatch();
    }
  }

  private answer(b: Piece, outputs: Record<string, Tensor>, inferMs: number, batchRows: number): void {
    const p = b.p;
    if (p.failed) return;
    p.inferMs += inferMs;
    p.batchRows = Math.max(p.batchRows, batchRows);
    p.answered += b.to - b.from;
    if (b.from === 0 && b.to === p.rows) {
      p.resolve({ outputs, queueMs: p.queueMs!, inferMs, batchRows });
      return;
    }
    p.parts.push({ from: b.from, outputs });
    if (p.answered < p.rows) return;
    // Slices may come back out of order (two workers): join them by first row.
    const parts = p.parts.sort((x, y) => x.from - y.from).map((x) => x.outputs);
    p.parts = [];
    const joined = Object.fromEntries(this.fetch.map((k) => [k, concatRows(parts.map((o) => o[k]))]));
    p.resolve({ outputs: joined, queueMs: p.queueMs!, inferMs: p.inferMs, batchRows: p.batchRows });
  }

  /** A failed slice fails its request once; the rest of it leaves the queue. */
  private fail(p: Pending, err: unknown): void {
    if (p.failed) return;
    p.failed = true;
    p.parts = [];
    const i = this.queue.indexOf(p);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.queuedRows -= p.rows - p.taken;
    }
    p.reject(err);
  }
}

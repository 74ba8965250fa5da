/** A model session in a worker thread (see session-worker.ts), with the ModelSession run() contract. */
import { Worker } from 'node:worker_threads';
import type { Tensor } from '../onnx/tensor.js';
import type { ElementType } from '../onnx/data-types.js';
import { badInput, loadFailed, runFailed, type PreparedModel } from './session.js';
import type { RunReply, RunRequest, WireTensor, WorkerReady } from './wire.js';

export interface Runner {
  /** `split`: run the rows in slices of this many (a model with a fixed batch size), outputs joined. */
  run(feeds: Record<string, Tensor>, fetch: string[], split?: number): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
  /** Settles when the model is compiled (rejects when it cannot be); runs may be sent before. */
  readonly ready?: Promise<void>;
  /** Batches of `rows` rows it takes at once before the caller should wait for one (1 if absent). */
  parallel?(rows: number): number;
  /**
   * Whether the next run of `rows` rows would run on the calling thread (helped-runner.ts): the
   * caller then awaits it at once, so its time is its own stage.
   */
  runsHere?(rows: number): boolean;
  /** Batches the calling thread ran itself. */
  readonly mainThreadBatches?: number;
  /** Time onnxruntime spent inside run() in the worker, summed over all runs. */
  readonly inferenceMs: number;
  /**
   * Called once if the worker thread ends without being released (an uncaught error, out of
   * memory, terminate), at once if it already has: its pending runs have been rejected, and
   * every later run is.
   */
  onExit?(listener: (error: Error) => void): void;
  /**
   * Stop the thread at once, as a crash would (tests). Never while onnxruntime is inside run():
   * onnxruntime-node then throws from native code into a dying thread and aborts the process.
   */
  terminate?(): Promise<void>;
}

/**
 * Start a worker that compiles the prepared model (the only place it is
 * compiled: a load failure is reported from there, as RUNTIME_LOAD_FAILED).
 */
export async function workerRunner(prepared: PreparedModel, threads?: number): Promise<Runner> {
  const runner = startWorkerRunner(prepared, threads);
  await runner.ready;
  return runner;
}

/**
 * workerRunner without waiting for the model to compile: runs may be sent at
 * once (the worker takes them when it is ready), so the caller reads and
 * parses meanwhile. A load failure rejects `ready` and every run, pending or
 * later, with the same RUNTIME_LOAD_FAILED.
 */
export function startWorkerRunner(prepared: PreparedModel, threads?: number): Runner & { ready: Promise<void> } {
  const { label } = prepared.signature;
  const worker = new Worker(new URL('./session-worker.js', import.meta.url), {
    workerData: { bytes: prepared.bytes, threads },
  });
  const pending = new Map<
    number,
    { resolve: (r: Record<string, Tensor>) => void; reject: (e: Error) => void; feeds: Record<string, Tensor> }
  >();
  let nextId = 0;
  let inferenceMs = 0;
  let failure: Error | undefined;
  let loadError: Error | undefined;
  let released = false;
  let exitError: Error | undefined;
  const exitListeners: Array<(error: Error) => void> = [];
  const fail = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  let settleReady!: (error?: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    settleReady = (error) => (error ? reject(error) : resolve());
  });
  ready.catch(() => {}); // whoever awaits it hears; runs fail with the same error
  worker.on('message', (m: WorkerReady | RunReply) => {
    if ('ready' in m) {
      if (m.ready) return settleReady();
      loadError = loadFailed(label, m.error);
      fail(loadError);
      return settleReady(loadError);
    }
    inferenceMs += m.ms ?? 0;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) {
      // The feeds' buffers moved to the worker; their types and dims are still here for the message.
      p.reject(m.badInput === undefined ? runFailed(label, p.feeds, m.error) : badInput(label, m.badInput, m.error));
      return;
    }
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(m.outputs!))
      out[name] = { name, type: t.type as ElementType, dims: t.dims, data: t.data as Tensor['data'] };
    p.resolve(out);
  });
  worker.on('error', (err) => {
    fail(err);
    settleReady(err);
  });
  worker.on('exit', (code) => {
    if (released) return;
    // A thread that ended unasked: nothing it held will be answered, and a run posted to it
    // would wait forever. The error event (if any) came first and says why; a model that did
    // not load is said as such.
    const error =
      loadError ?? new Error(`inference worker exited with code ${code}${failure ? `: ${failure.message}` : ''}`);
    if (!loadError) failure = undefined;
    fail(error);
    settleReady(error);
    exitError = error;
    for (const listener of exitListeners.splice(0)) listener(error);
  });
  return {
    ready,
    get inferenceMs() {
      return inferenceMs;
    },
    run(feeds, fetch, split) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      const wire: Record<string, WireTensor> = {};
      const transfer: ArrayBuffer[] = [];
      for (const [name, t] of Object.entries(feeds)) {
        wire[name] = { type: t.type, dims: t.dims, data: t.data };
        // Our batch buffers are fresh per batch, so their memory can move to the worker.
        if (ArrayBuffer.isView(t.data) && !transfer.includes(t.data.buffer as ArrayBuffer))
          transfer.push(t.data.buffer as ArrayBuffer);
      }
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, feeds });
        worker.postMessage({ id, feeds: wire, fetch, ...(split ? { split } : {}) } satisfies RunRequest, transfer);
      });
    },
    async release() {
      if (released) return;
      released = true;
      if (failure) return void (await worker.terminate());
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage({ close: true });
      await exited;
    },
    onExit(listener) {
      // A listener that comes after the death still hears of it.
      if (exitError) listener(exitError);
      else exitListeners.push(listener);
    },
    async terminate() {
      await worker.terminate();
    },
  };
}

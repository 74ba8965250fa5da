/**
 * onnxruntime-node runs inference synchronously on the calling thread (its
 * `run` is a setImmediate around a blocking call), so a session on the main
 * thread cannot overlap with CSV parsing. This worker owns the session; the
 * main thread sends feeds and gets outputs back, buffers transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { runInSlices } from '../onnx/tensor-rows.js';
import { loadOrt } from './ort.js';
import { BadInputError, createOrtSession, toOrt } from './ort-session.js';
import type { RunReply, RunRequest, WireTensor, WorkerReady } from './wire.js';

interface WorkerInit {
  bytes: Uint8Array;
  threads?: number;
}

const init = workerData as WorkerInit;
const ort = await loadOrt();
let session: InferenceSession;
try {
  session = await createOrtSession(ort, init.bytes, init.threads);
  parentPort!.postMessage({ ready: true } satisfies WorkerReady);
} catch (err) {
  parentPort!.postMessage({ ready: false, error: (err as Error).message } satisfies WorkerReady);
  process.exit(0);
}

// One request at a time, in order: several may be queued (predict-batch keeps the worker ahead), and
// each one's time is then its own run, not the wait behind the others.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (request: RunRequest | { close: true }) => {
  // handle answers every run, errors included; only a failed release on close can reject, and then there is no one left to tell.
  queue = queue.then(() => handle(request)).catch(() => {});
});

async function handle(request: RunRequest | { close: true }): Promise<void> {
  if ('close' in request) {
    await session.release();
    parentPort!.close();
    return;
  }
  try {
    const started = performance.now();
    // A fixed-batch model: one message, many runs, so the per-message cost is paid once per batch.
    const results: Record<string, OrtTensor | WireTensor> = await runInSlices(
      (feeds) => session.run(toOrt(ort, feeds), request.fetch) as Promise<Record<string, OrtTensor>>,
      request.feeds,
      request.fetch,
      request.split,
    );
    const ms = performance.now() - started;
    const outputs: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name of request.fetch) {
      const value = results[name];
      let data = value.data as unknown;
      if (ArrayBuffer.isView(data)) {
        // Copy into a buffer we own so it can be transferred, not cloned.
        const view = data as Uint8Array;
        const copy = new (view.constructor as Uint8ArrayConstructor)(view.length);
        copy.set(view);
        data = copy;
        transfer.push(copy.buffer as ArrayBuffer);
      }
      outputs[name] = { type: value.type, dims: (value.dims as readonly number[]).map(Number), data };
    }
    parentPort!.postMessage({ id: request.id, outputs, ms } satisfies RunReply, transfer);
  } catch (err) {
    // A feed onnxruntime cannot build is the caller's input, reported as on the main thread (RUNTIME_BAD_INPUT).
    const badInput = err instanceof BadInputError ? { badInput: err.input } : {};
    parentPort!.postMessage({ id: request.id, error: (err as Error).message, ...badInput } satisfies RunReply);
  }
}

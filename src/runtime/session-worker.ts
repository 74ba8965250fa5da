/**
 * onnxruntime-node runs inference synchronously on the calling thread (its
 * `run` is a setImmediate around a blocking call), so a session on the main
 * thread cannot overlap with CSV parsing. This worker owns the session; the
 * main thread sends feeds and gets outputs back, buffers transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { concatRows, sliceRows } from '../onnx/tensor-rows.js';
import type { RunReply, RunRequest, WireTensor, WorkerReady } from './wire.js';

interface WorkerInit {
  bytes: Uint8Array;
  threads?: number;
}

const init = workerData as WorkerInit;
const ort = await import('onnxruntime-node');
ort.env.logLevel = 'fatal';
let session: InferenceSession;
try {
  session = await ort.InferenceSession.create(init.bytes, {
    ...(init.threads ? { intraOpNumThreads: init.threads } : {}),
    logSeverityLevel: 4,
  });
  parentPort!.postMessage({ ready: true } satisfies WorkerReady);
} catch (err) {
  parentPort!.postMessage({ ready: false, error: (err as Error).message } satisfies WorkerReady);
  process.exit(0);
}

parentPort!.on('message', async (request: RunRequest | { close: true }) => {
  if ('close' in request) {
    await session.release();
    parentPort!.close();
    return;
  }
  try {
    const toOrt = (wire: Record<string, WireTensor>) => {
      const feeds: Record<string, OrtTensor> = {};
      for (const [name, t] of Object.entries(wire))
        feeds[name] = new ort.Tensor(t.type as OrtTensor.Type, t.data as never, t.dims);
      return feeds;
    };
    const started = performance.now();
    let results: Record<string, OrtTensor | WireTensor>;
    if (request.split) {
      // One message, many runs: the per-message cost is paid once per batch, not once per model call.
      const split = request.split;
      const rows = Object.values(request.feeds)[0].dims[0];
      const parts: Array<Record<string, OrtTensor>> = [];
      for (let from = 0; from < rows; from += split) {
        const slice = Object.fromEntries(
          Object.entries(request.feeds).map(([n, t]) => [n, sliceRows(t, from, from + split)]),
        );
        parts.push((await session.run(toOrt(slice), request.fetch)) as Record<string, OrtTensor>);
      }
      results = Object.fromEntries(request.fetch.map((n) => [n, concatRows(parts.map((p) => p[n]))]));
    } else {
      results = await session.run(toOrt(request.feeds), request.fetch);
    }
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
    parentPort!.postMessage({ id: request.id, error: (err as Error).message } satisfies RunReply);
  }
});

/**
 * onnxruntime-node runs inference synchronously on the calling thread (its
 * `run` is a setImmediate around a blocking call), so a session on the main
 * thread cannot overlap with CSV parsing. This worker owns the session; the
 * main thread sends feeds and gets outputs back, buffers transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';

interface WorkerInit {
  bytes: Uint8Array;
  threads?: number;
}

interface RunRequest {
  id: number;
  feeds: Record<string, { type: string; dims: number[]; data: unknown }>;
  fetch: string[];
}

const init = workerData as WorkerInit;
const ort = await import('onnxruntime-node');
ort.env.logLevel = 'fatal';
let session: InferenceSession;
try {
  session = await ort.InferenceSession.create(init.bytes, { ...(init.threads ? { intraOpNumThreads: init.threads } : {}), logSeverityLevel: 4 });
  parentPort!.postMessage({ ready: true });
} catch (err) {
  parentPort!.postMessage({ ready: false, error: (err as Error).message });
  process.exit(0);
}

parentPort!.on('message', async (request: RunRequest | { close: true }) => {
  if ('close' in request) {
    await session.release();
    parentPort!.close();
    return;
  }
  try {
    const feeds: Record<string, OrtTensor> = {};
    for (const [name, t] of Object.entries(request.feeds)) feeds[name] = new ort.Tensor(t.type as OrtTensor.Type, t.data as never, t.dims);
    const started = performance.now();
    const results = await session.run(feeds, request.fetch);
    const ms = performance.now() - started;
    const outputs: Record<string, { type: string; dims: number[]; data: unknown }> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name of request.fetch) {
      const value = results[name] as OrtTensor;
      let data = value.data as unknown;
      if (ArrayBuffer.isView(data)) {
        // Copy into a buffer we own so it can be transferred, not cloned.
        const view = data as Uint8Array;
        const copy = new (view.constructor as Uint8ArrayConstructor)(view.length);
        copy.set(view);
        data = copy;
        transfer.push(copy.buffer as ArrayBuffer);
      }
      outputs[name] = { type: value.type, dims: value.dims.map(Number), data };
    }
    parentPort!.postMessage({ id: request.id, outputs, ms }, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: request.id, error: (err as Error).message });
  }
});

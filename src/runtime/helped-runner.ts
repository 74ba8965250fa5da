/**
 * The inference worker, helped by the main thread. predict-batch's main
 * thread parses and formats while the worker infers; when the worker already
 * holds enough rows, the main thread runs the next batch itself
 * (onnxruntime-node's run blocks the calling thread) instead of waiting. So
 * both cores stay busy whichever side is the slower, and each batch still
 * runs whole on one single-session call, so outputs do not depend on which
 * thread ran it.
 */
import type { Tensor } from '../onnx/tensor.js';
import { runInSlices } from '../onnx/tensor-rows.js';
import { MlopsError } from '../util/errors.js';
import { createSession, type ModelSession, type PreparedModel, runFailed } from './session.js';
import type { Runner } from './worker-session.js';

/**
 * Rows the worker holds before the main thread takes a batch (at least two
 * batches: one running, one queued). Enough that it never runs dry while
 * the main thread is busy and cannot hear that batches finished: with 2 the
 * worker idled half the time, with 8,192 it is busy the whole run. Batches
 * larger than this are left to the worker: a few batches more in flight
 * would then cost much memory, and a long run on the main thread would delay
 * its answer to Ctrl-C.
 */
const WORKER_QUEUE_ROWS = 8192;

/** Batches of `rows` rows the worker holds before the main thread helps. */
const workerQueue = (rows: number) => Math.max(2, Math.ceil(WORKER_QUEUE_ROWS / Math.max(1, rows)));

const rowsOf = (feeds: Record<string, Tensor>) => Object.values(feeds)[0]?.dims[0] ?? 1;

export function helpedRunner(worker: Runner, prepared: PreparedModel): Runner {
  let pending = 0;
  let local: Promise<ModelSession> | undefined;
  let localBatches = 0;
  const runLocally = async (feeds: Record<string, Tensor>, fetch: string[], split?: number) => {
    // Compiled on first use: a run the worker keeps up with never pays for a second session.
    local ??= createSession(prepared.bytes, prepared.signature.model, prepared.signature.label, 1);
    const session = await local;
    try {
      return await runInSlices((f) => session.run(f, fetch), feeds, fetch, split);
    } catch (err) {
      // Named with the whole batch's shapes, as the worker names a failed batch, not the slice's.
      if (split && err instanceof MlopsError && err.code === 'RUNTIME_RUN_FAILED')
        throw runFailed(prepared.signature.label, feeds, err.cause ?? err, err.cause);
      throw err;
    }
  };
  const runsHere = (rows: number) => rows <= WORKER_QUEUE_ROWS && pending >= workerQueue(rows);
  return {
    ...(worker.ready ? { ready: worker.ready } : {}),
    // The worker's queue, and as many again for the main thread: batches are written in order, so the
    // main thread's batches wait behind the worker's oldest. With room for only one of its own, it stalled
    // there: on mlp-heavy it ran 18 of 98 batches and waited 1.8 s (2.26 s wall); with this room, 44 and
    // 0.3 s (1.68 s wall). Batches past WORKER_QUEUE_ROWS: one in flight, as without help.
    parallel: (rows) => (rows <= WORKER_QUEUE_ROWS ? 2 * workerQueue(rows) + 1 : 1),
    get inferenceMs() {
      return worker.inferenceMs;
    },
    get mainThreadBatches() {
      return localBatches;
    },
    runsHere,
    run(feeds, fetch, split) {
      if (runsHere(rowsOf(feeds))) {
        localBatches++;
        return runLocally(feeds, fetch, split);
      }
      pending++;
      const run = worker.run(feeds, fetch, split);
      const done = () => void pending--;
      run.then(done, done);
      return run;
    },
    async release() {
      await worker.release();
      if (local) await (await local.catch(() => undefined))?.release();
    },
  };
}

/**
 * What the main thread and the inference worker (session-worker.ts) share of onnxruntime: one way to
 * compile a model and one way to turn our tensors into its feeds, so both paths load with the same
 * options and report a bad input the same way.
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { errorMessage } from '../util/errors.js';
import { availableCores } from './cores.js';
import type { OrtModule } from './ort.js';

/** A tensor as either side holds it: our Tensor, or a WireTensor that crossed to the worker. */
export type FeedTensor = { type: string; dims: readonly number[]; data: unknown };

export function createOrtSession(ort: OrtModule, bytes: Uint8Array, threads?: number): Promise<InferenceSession> {
  // More threads than cores only adds contention; --threads 99999 made onnxruntime spawn them all (16 GB).
  const intraOp = threads === undefined ? undefined : Math.min(threads, availableCores());
  return ort.InferenceSession.create(bytes, {
    ...(intraOp ? { intraOpNumThreads: intraOp } : {}),
    // Errors reach the caller as exceptions; onnxruntime's own log lines would only duplicate them.
    logSeverityLevel: 4,
  });
}

/** onnxruntime refused to build a tensor from a feed (data length not matching dims, an unknown type). */
export class BadInputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
  }
}

export function toOrt(ort: OrtModule, feeds: Record<string, FeedTensor>): Record<string, OrtTensor> {
  const out: Record<string, OrtTensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    try {
      out[name] = new ort.Tensor(t.type as OrtTensor.Type, t.data as never, t.dims);
    } catch (err) {
      throw new BadInputError(name, errorMessage(err));
    }
  }
  return out;
}

/**
 * One inference on synthesized rows in every worker of a freshly loaded
 * version, so the first real request does not pay for onnxruntime's
 * allocations (arena, kernels chosen on first run).
 */
import { synthesizeInputs } from '../runtime/synthesize.js';
import { errorMessage, isMlopsError } from '../util/errors.js';
import type { LiveVersion } from './served-model.js';

export type WarmUp =
  | { ok: true; ms: number }
  /** The inputs cannot be synthesized (unknown rank, non-tensor): served cold. */
  | { ok: true; skipped: string }
  /** The model failed on synthesized rows. */
  | { ok: false; error: string };

export async function warmUp(live: Pick<LiveVersion, 'signature' | 'runners'>): Promise<WarmUp> {
  // Fresh feeds per worker: a run moves its input buffers to the worker.
  const feeds = () => synthesizeInputs(live.signature.inputs, { symbolicSize: 1 });
  try {
    feeds();
  } catch (err) {
    if (isMlopsError(err)) return { ok: true, skipped: err.message };
    throw err;
  }
  const fetch = live.signature.tensorOutputs.map((o) => o.name);
  const started = performance.now();
  try {
    await Promise.all(live.runners.map((r) => r.run(feeds(), fetch)));
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
  return { ok: true, ms: Math.round((performance.now() - started) * 100) / 100 };
}

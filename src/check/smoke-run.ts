/** Load the model in onnxruntime and run it on synthesized inputs. */
import { FLOAT_TYPES } from '../onnx/data-types.js';
import type { LoadedModel } from '../models/load-model.js';
import { stripZipMap, type ZipMapRewrite } from '../onnx/zipmap.js';
import { openSession, type ModelSession } from '../runtime/session.js';
import { synthesizeInputs } from '../runtime/synthesize.js';
import { isMlopsError } from '../util/errors.js';
import type { Tensor } from '../onnx/tensor.js';
import type { Problem } from './problems.js';

export interface TensorSummary {
  name: string;
  type: string;
  shape: number[];
}

export interface SmokeRun {
  /** Size given to symbolic dims in this run. */
  symbolic_size: number;
  inputs: TensorSummary[];
  outputs: Array<TensorSummary & { nonfinite: number }>;
  ms: number;
  error?: string;
}

export interface SmokeRunResult {
  problems: Problem[];
  runs: SmokeRun[];
  session?: ModelSession;
  zipmaps: ZipMapRewrite[];
}

export interface SmokeRunOptions {
  dims?: Record<string, number>;
  /** Sizes to try for symbolic dims: 1 and a larger batch. */
  symbolicSizes?: number[];
  threads?: number;
}

/** Default rows per call of the synthesized run after 1: a batch other than 1 catches exports that only run at batch 1. */
export const SMOKE_BATCH_ROWS = 7;

function countNonFinite(tensor: Tensor): number {
  if (!FLOAT_TYPES.has(tensor.type) || tensor.type === 'float16' || tensor.type === 'bfloat16') return 0;
  let bad = 0;
  for (const v of tensor.data as Float32Array) if (!Number.isFinite(v)) bad++;
  return bad;
}

export async function smokeRun(loaded: LoadedModel, options: SmokeRunOptions = {}): Promise<SmokeRunResult> {
  const problems: Problem[] = [];
  const runs: SmokeRun[] = [];
  const reported = new Set<string>();
  // The same finding on the batch-1 and the batch-7 run is reported once.
  const report = (p: Problem) => {
    const key = `${p.code}\u0000${p.tensor ?? ''}`;
    if (!reported.has(key)) problems.push(p);
    reported.add(key);
  };
  let zipmaps: ZipMapRewrite[] = [];
  let session: ModelSession;
  try {
    session = await openSession(loaded, { threads: options.threads, transform: (m) => (zipmaps = stripZipMap(m)) });
  } catch (err) {
    if (!isMlopsError(err)) throw err;
    problems.push({ severity: 'error', stage: 'load', code: err.code, message: err.message, hint: err.hint });
    return { problems, runs, zipmaps };
  }
  const symbolic = session.inputs.some((i) => i.shape?.some((d) => typeof d !== 'number'));
  const sizes = symbolic ? (options.symbolicSizes ?? [1, SMOKE_BATCH_ROWS]) : [1];
  for (const size of sizes) {
    const started = performance.now();
    let feeds: Record<string, Tensor>;
    try {
      feeds = synthesizeInputs(session.inputs, { symbolicSize: size, dims: options.dims });
    } catch (err) {
      if (!isMlopsError(err)) throw err;
      problems.push({
        severity: 'warning',
        stage: 'run',
        code: err.code,
        message: `run skipped: ${err.message}`,
        hint: err.hint,
      });
      break;
    }
    const run: SmokeRun = {
      symbolic_size: size,
      inputs: Object.values(feeds).map((t) => ({ name: t.name!, type: t.type, shape: t.dims })),
      outputs: [],
      ms: 0,
    };
    runs.push(run);
    try {
      const outputs = await session.run(feeds);
      run.ms = performance.now() - started;
      for (const declared of session.tensorOutputs) {
        const tensor = outputs[declared.name];
        const nonfinite = countNonFinite(tensor);
        run.outputs.push({ name: declared.name, type: tensor.type, shape: tensor.dims, nonfinite });
        if (declared.shape && declared.shape.length !== tensor.dims.length) {
          report({
            severity: 'error',
            stage: 'run',
            code: 'OUTPUT_RANK_MISMATCH',
            tensor: declared.name,
            message: `output "${declared.name}" is declared with rank ${declared.shape.length} but has shape [${tensor.dims.join(', ')}]`,
          });
        } else if (declared.shape?.some((d, k) => typeof d === 'number' && d > 0 && d !== tensor.dims[k])) {
          report({
            severity: 'warning',
            stage: 'run',
            code: 'OUTPUT_SHAPE_MISMATCH',
            tensor: declared.name,
            message: `output "${declared.name}" is declared as [${declared.shape.join(', ')}] but has shape [${tensor.dims.join(', ')}]`,
          });
        }
        if (nonfinite) {
          report({
            severity: 'error',
            stage: 'run',
            code: 'OUTPUT_NONFINITE',
            tensor: declared.name,
            message: `output "${declared.name}" has ${nonfinite} NaN/Inf value${nonfinite > 1 ? 's' : ''} on synthesized inputs (floats in [0, 1), symbolic dims = ${size})`,
            hint: 'look for NaN/Inf in the weights or an unstable op (Log, Div, Sqrt); check with real inputs via --test-data',
          });
        }
      }
    } catch (err) {
      if (!isMlopsError(err)) throw err;
      run.ms = performance.now() - started;
      run.error = err.message;
      const previousPassed = runs.length > 1 && !runs[runs.length - 2].error;
      report({
        severity: 'error',
        stage: 'run',
        code: err.code,
        message: err.message,
        hint: previousPassed
          ? `the model runs with symbolic dims = ${runs[runs.length - 2].symbolic_size} but not ${size}: a dimension was probably fixed at export`
          : err.hint,
      });
    }
  }
  return { problems, runs, session, zipmaps };
}

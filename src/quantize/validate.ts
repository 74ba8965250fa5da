/**
 * Float vs int8 on the same rows: differences per output, argmax agreement,
 * latency of both, and how much the int8 outputs move with the batching.
 *
 * Dynamic int8 quantizes activations with the min/max of each inference call,
 * so a row's output depends on the rows batched with it. The differences are
 * measured in calls of `batchSize` rows (predict-batch's default, PREDICT_BATCH_SIZE), and the
 * int8 model is run once more one row at a time: the largest change between
 * the two batchings is reported as its own figure (0 for float and static QDQ).
 */
import type { LoadedModel } from '../models/load-model.js';
import type { Tensor } from '../onnx/tensor.js';
import type { ModelSession } from '../runtime/session.js';
import { NonFiniteTally, type NewNonFinite } from './finite-check.js';
import { concatRows, sliceRows } from '../onnx/tensor-rows.js';
import type { SampleSource } from './samples.js';
import { openPair } from './session-pair.js';

export interface OutputDifference {
  output: string;
  max_abs_diff: number;
  mean_abs_diff: number;
  /** Share of rows whose argmax agrees, for [N, K] outputs with K > 1; null otherwise. */
  argmax_agreement: number | null;
  /** Max |int8 output in calls of batch_size rows - int8 output one row at a time|; null when not measured or the model takes a fixed batch. */
  batch_spread: number | null;
}

export interface ValidationReport {
  source: string;
  rows: number;
  /** Rows per inference call for the differences (predict-batch's --batch-size, or the model's fixed batch). */
  batch_size: number;
  /** Set when the model takes a fixed batch: rows beyond the last full call are left out. */
  fixed_batch?: { size: number; left_out: number };
  outputs: OutputDifference[];
  /** Median latency of one run over `latency_batch` rows. */
  latency_batch: number;
  float_ms: number;
  int8_ms: number;
  speedup: number;
}

/** Outputs of consecutive calls joined, as float32 (int64 labels too) for the differences. */
function concat(parts: Tensor[]): Tensor {
  const joined = concatRows(parts);
  const data =
    joined.data instanceof Float32Array && parts.length > 1
      ? joined.data
      : Float32Array.from(joined.data as ArrayLike<number | bigint>, Number);
  return { type: 'float32', dims: joined.dims, data };
}

/**
 * Differences over the elements both models give as finite numbers. Where the
 * float model is NaN/Inf (a legitimate Log(0), say) there is nothing to
 * compare; int8 NaN/Inf where float is finite is refused before this runs.
 */
function diffs(x: Float32Array, y: Float32Array): { max: number; sum: number; count: number } {
  let max = 0;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
    const d = Math.abs(x[i] - y[i]);
    if (d > max) max = d;
    sum += d;
    count++;
  }
  return { max, sum, count };
}

function maxAbsDiff(x: Float32Array, y: Float32Array): number {
  return diffs(x, y).max;
}

function compare(output: string, a: Tensor, b: Tensor, spread: number | null): OutputDifference {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  const d = diffs(x, y);
  let agreement: number | null = null;
  const k = a.dims.length === 2 ? a.dims[1] : 0;
  if (k > 1) {
    let agree = 0;
    const rows = a.dims[0];
    for (let r = 0; r < rows; r++) {
      let ia = 0;
      let ib = 0;
      for (let j = 1; j < k; j++) {
        if (x[r * k + j] > x[r * k + ia]) ia = j;
        if (y[r * k + j] > y[r * k + ib]) ib = j;
      }
      if (ia === ib) agree++;
    }
    agreement = rows ? agree / rows : 1;
  }
  return {
    output,
    max_abs_diff: d.max,
    mean_abs_diff: d.count ? d.sum / d.count : 0,
    argmax_agreement: agreement,
    batch_spread: spread,
  };
}

async function timeRuns(session: ModelSession, feeds: Record<string, Tensor>, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  return times;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** A model whose inputs fix the first dim cannot run one row at a time. */
function takesAnyBatch(session: ModelSession): boolean {
  return session.inputs.every((i) => typeof i.shape?.[0] !== 'number');
}

/** The int8 outputs with each row run alone, to compare with the batched ones. */
async function rowByRow(
  session: ModelSession,
  samples: SampleSource,
  names: string[],
): Promise<Record<string, Tensor>> {
  const parts: Record<string, Tensor[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const batch of samples.batches) {
    const rows = Object.values(batch)[0].dims[0];
    for (let r = 0; r < rows; r++) {
      const one = Object.fromEntries(Object.entries(batch).map(([name, t]) => [name, sliceRows(t, r, r + 1)]));
      const out = await session.run(one, names);
      for (const n of names) parts[n].push(out[n]);
    }
  }
  return Object.fromEntries(names.map((n) => [n, concat(parts[n])]));
}

export interface ValidateOptions {
  threads?: number;
  latencyRuns?: number;
  /** Also run the int8 model one row at a time and report batch_spread (one inference call per row). */
  batchSpread?: boolean;
}

/** The report only (batch_spread null unless asked for). */
export async function validateQuantized(
  loaded: LoadedModel,
  int8Bytes: Uint8Array,
  samples: SampleSource,
  options: ValidateOptions,
): Promise<ValidationReport> {
  return (await compareQuantized(loaded, int8Bytes, samples, options)).report;
}

/** The report, and the outputs where int8 gives NaN/Inf and float does not. */
export async function compareQuantized(
  loaded: LoadedModel,
  int8Bytes: Uint8Array,
  samples: SampleSource,
  options: ValidateOptions,
): Promise<{ report: ValidationReport; nonfinite: NewNonFinite[]; tested: number }> {
  const pair = await openPair(loaded, int8Bytes, options.threads);
  const { float, int8, outputs: names } = pair;
  try {
    const a: Record<string, Tensor[]> = Object.fromEntries(names.map((n) => [n, []]));
    const b: Record<string, Tensor[]> = Object.fromEntries(names.map((n) => [n, []]));
    const tally = new NonFiniteTally();
    for (const batch of samples.batches) {
      const fa = await float.run(batch, names);
      const fb = await int8.run(batch, names);
      for (const n of names) {
        a[n].push(fa[n]);
        b[n].push(fb[n]);
        tally.add(n, fa[n], fb[n]);
      }
    }
    const batchedInt8 = Object.fromEntries(names.map((n) => [n, concat(b[n])]));
    const single = options.batchSpread && takesAnyBatch(int8) ? await rowByRow(int8, samples, names) : undefined;
    const outputs = names.map((n) =>
      compare(
        n,
        concat(a[n]),
        batchedInt8[n],
        single ? maxAbsDiff(batchedInt8[n].data as Float32Array, single[n].data as Float32Array) : null,
      ),
    );
    // Latency on one batch of all validation rows (the batch size the targets are stated at),
    // or of the model's fixed batch size when it takes no other.
    const all: Record<string, Tensor> = samples.fixedBatch ? { ...samples.batches[0] } : {};
    for (const name of samples.fixedBatch ? [] : Object.keys(samples.batches[0])) {
      const parts = samples.batches.map((batch) => batch[name]);
      all[name] = parts.length === 1 ? parts[0] : sliceRows(concatRows(parts), 0, samples.rows);
    }
    const runs = options.latencyRuns ?? 7;
    await timeRuns(float, all, 1);
    await timeRuns(int8, all, 1);
    const floatTimes: number[] = [];
    const int8Times: number[] = [];
    for (let i = 0; i < runs; i++) {
      floatTimes.push(...(await timeRuns(float, all, 1)));
      int8Times.push(...(await timeRuns(int8, all, 1)));
    }
    const floatMs = median(floatTimes);
    const int8Ms = median(int8Times);
    const report: ValidationReport = {
      source: samples.source,
      rows: samples.rows,
      // The calls actually made: fewer rows than the batch size make one smaller call.
      batch_size: Math.min(samples.batchSize, samples.rows),
      ...(samples.fixedBatch ? { fixed_batch: samples.fixedBatch } : {}),
      outputs,
      latency_batch: samples.fixedBatch ? samples.batchSize : samples.rows,
      float_ms: floatMs,
      int8_ms: int8Ms,
      speedup: floatMs / int8Ms,
    };
    return { report, nonfinite: tally.found(), tested: tally.tested() };
  } finally {
    await pair.release();
  }
}

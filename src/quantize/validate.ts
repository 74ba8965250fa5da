/** Float vs int8 on the same rows: differences per output, argmax agreement, latency of both. */
import type { LoadedModel } from '../onnx/load-model.js';
import { stripZipMap } from '../onnx/zipmap.js';
import { createSession, openSession, type ModelSession } from '../runtime/session.js';
import { decodeModel } from '../onnx/load-model.js';
import { encodeModel } from '../onnx/proto.js';
import type { Tensor } from '../onnx/tensor.js';
import { concatRows, sliceRows, type SampleSource } from './samples.js';

export interface OutputDifference {
  output: string;
  max_abs_diff: number;
  mean_abs_diff: number;
  /** Share of rows whose argmax agrees, for [N, K] outputs with K > 1; null otherwise. */
  argmax_agreement: number | null;
}

export interface ValidationReport {
  source: string;
  rows: number;
  outputs: OutputDifference[];
  /** Median latency of one run over `latency_batch` rows. */
  latency_batch: number;
  float_ms: number;
  int8_ms: number;
  speedup: number;
}

function concat(parts: Tensor[]): Tensor {
  const total = parts.reduce((n, p) => n + (p.data as Float32Array).length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(Array.from(p.data as ArrayLike<number | bigint>, Number), at);
    at += (p.data as ArrayLike<number>).length;
  }
  return { type: 'float32', dims: [parts.reduce((n, p) => n + p.dims[0], 0), ...parts[0].dims.slice(1)], data: out };
}

function compare(output: string, a: Tensor, b: Tensor): OutputDifference {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    if (d > max || Number.isNaN(d)) max = d;
    sum += d;
  }
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
  return { output, max_abs_diff: max, mean_abs_diff: x.length ? sum / x.length : 0, argmax_agreement: agreement };
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

export async function validateQuantized(loaded: LoadedModel, int8Bytes: Uint8Array, samples: SampleSource, options: { threads?: number; latencyRuns?: number }): Promise<ValidationReport> {
  const float = await openSession(loaded, { threads: options.threads, transform: stripZipMap });
  const int8Model = decodeModel(int8Bytes, 'the quantized model');
  stripZipMap(int8Model);
  const int8 = await createSession(encodeModel(int8Model), int8Model, 'the quantized model', options.threads);
  try {
    const names = float.tensorOutputs.filter((o) => o.type === 'float32').map((o) => o.name);
    const a: Record<string, Tensor[]> = Object.fromEntries(names.map((n) => [n, []]));
    const b: Record<string, Tensor[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (const batch of samples.batches) {
      const fa = await float.run(batch, names);
      const fb = await int8.run(batch, names);
      for (const n of names) {
        a[n].push(fa[n]);
        b[n].push(fb[n]);
      }
    }
    const outputs = names.map((n) => compare(n, concat(a[n]), concat(b[n])));
    // Latency on one batch of all validation rows (the batch size the targets are stated at).
    const all: Record<string, Tensor> = {};
    for (const name of Object.keys(samples.batches[0])) {
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
    return { source: samples.source, rows: samples.rows, outputs, latency_batch: samples.rows, float_ms: floatMs, int8_ms: int8Ms, speedup: floatMs / int8Ms };
  } finally {
    await float.release();
    await int8.release();
  }
}

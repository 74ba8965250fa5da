/** `mlops bench`: latency and throughput of a model per batch size, on given or synthesized inputs. */
import { mean, quantileSorted } from 'simple-statistics';
import { loadModel, type LoadedModel } from '../models/load-model.js';
import { stripZipMap } from '../onnx/zipmap.js';
import { openSession, type ModelSession } from '../runtime/session.js';
import { synthesizeInputs } from '../runtime/synthesize.js';
import type { Tensor } from '../onnx/tensor.js';
import { repeatRows } from '../onnx/tensor-rows.js';
import type { TableFormat } from '../table/table-format.js';
import { MlopsError } from '../util/errors.js';

export interface BenchOptions {
  model: string;
  /** The model, already loaded through models/ (a checklist loads it once for all its checks); `model` is then not read. */
  loaded?: LoadedModel;
  registry?: string;
  /** CSV rows to feed (cycled to fill each batch); synthesized inputs otherwise. */
  input?: string;
  features?: string[];
  ignore?: string[];
  /** `--input-format`: read the tables as this format (a file not in it is refused); by default, by their first bytes. */
  inputFormat?: TableFormat;
  batchSizes?: number[];
  warmup?: number;
  iterations?: number;
  /** Run each batch size for this long instead of a fixed number of iterations (seconds). */
  duration?: number;
  threads?: number;
  /** Told of bad rows skipped in `input`. */
  onWarning?: (message: string) => void;
}

export interface BatchFigures {
  batch_size: number;
  iterations: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  mean_ms: number;
  throughput_rows_per_s: number;
}

export interface BenchResult {
  model: { path: string; sha256: string };
  inputs: 'csv' | 'synthesized';
  threads: number | null;
  results: BatchFigures[];
  peak_rss_bytes: number;
}

/** Rows [0, n) of the data, repeating rows when the data is shorter than the batch. */
function takeRows(source: Record<string, Tensor>, n: number): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(source).map(([name, t]) => [name, repeatRows(t, n)]));
}

async function feedsFor(
  session: ModelSession,
  _options: BenchOptions,
  batch: number,
  csv?: Record<string, Tensor>,
): Promise<Record<string, Tensor>> {
  if (csv) return takeRows(csv, batch);
  const fixedBatch = session.inputs.some((i) => typeof i.shape?.[0] === 'number' && i.shape[0] !== batch);
  if (fixedBatch) {
    throw new MlopsError(
      'BENCH_FIXED_BATCH',
      `${session.label} has a fixed batch dimension, so it cannot run batches of ${batch}`,
      { hint: 'use `batchSizes` 1 (or the fixed size), or re-export with a dynamic batch axis' },
    );
  }
  return synthesizeInputs(session.inputs, { symbolicSize: batch });
}

export async function benchModel(options: BenchOptions): Promise<BenchResult> {
  const loaded = options.loaded ?? (await loadModel(options.model, { registry: options.registry }));
  const session = await openSession(loaded, { threads: options.threads, transform: stripZipMap });
  const batchSizes = options.batchSizes ?? [1, 32, 256];
  try {
    let csv: Record<string, Tensor> | undefined;
    if (options.input) {
      const { readBoundedRows } = await import('../table/bounded-rows.js');
      const { sampleFeeds } = await import('../table/feeds.js');
      // Batches take rows [0, batch) of the data (repeated when it is shorter): the first rows up to the
      // largest batch are all that is ever fed, and which rows they are does not change a timing.
      const table = await readBoundedRows(options.input, {
        limit: Math.max(...batchSizes),
        pick: 'first',
        badRows: 'skip',
        stopAtLimit: true,
        format: options.inputFormat,
      });
      // No rows would be "repeated" into batches of undefined values: timings of garbage, not of the data.
      if (table.rows.length === 0 && table.skipped === 0)
        throw new MlopsError(
          'CSV_EMPTY',
          `${options.input} has no data rows (only a header): nothing to feed the model`,
          { hint: 'pass rows to time, or leave out `input` to synthesize inputs' },
        );
      // Features taken by column order are not warned about: a timing does not depend on which column is which.
      const sample = sampleFeeds(
        table,
        session.inputs,
        { features: options.features, ignore: options.ignore, recordedFeatures: loaded.recordedFeatures },
        'input',
      );
      if (sample.note) options.onWarning?.(sample.note);
      if (sample.table.rows.length === 0)
        throw new MlopsError('CSV_EMPTY', `${options.input} has no usable rows: ${sample.note}`, {
          hint: 'fix the rows, or leave out `input` to synthesize inputs',
        });
      csv = sample.feeds;
    }
    const results: BatchFigures[] = [];
    for (const batch of batchSizes) {
      const feeds = await feedsFor(session, options, batch, csv);
      for (let i = 0; i < (options.warmup ?? 5); i++) await session.run(feeds);
      const times: number[] = [];
      const deadline = options.duration ? performance.now() + options.duration * 1000 : Infinity;
      const iterations = options.duration ? Infinity : (options.iterations ?? 50);
      while (times.length < iterations && performance.now() < deadline) {
        const t = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t);
      }
      const sorted = [...times].sort((a, b) => a - b);
      const avg = mean(times);
      results.push({
        batch_size: batch,
        iterations: times.length,
        p50_ms: quantileSorted(sorted, 0.5),
        p95_ms: quantileSorted(sorted, 0.95),
        p99_ms: quantileSorted(sorted, 0.99),
        mean_ms: avg,
        throughput_rows_per_s: (batch * 1000) / avg,
      });
    }
    return {
      model: { path: loaded.path, sha256: loaded.sha256 },
      inputs: csv ? 'csv' : 'synthesized',
      threads: options.threads ?? null,
      results,
      peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    await session.release();
  }
}

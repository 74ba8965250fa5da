/** predict-batch's options and results (the programmatic API), and what a run's parts share. */
import type { ZipMapRewrite } from '../onnx/zipmap.js';
import type { ModelSignature } from '../runtime/session.js';
import type { Runner } from '../runtime/worker-session.js';
import type { PlanOptions, PredictPlan } from './plan.js';
import type { ShardSpec } from './shard.js';
import type { TableFormat } from '../table/table-format.js';
import type { OutputFormat } from './prediction-sink.js';
import type { ParquetCompression } from '../table/parquet/parquet-writer.js';

export const DEFAULT_BATCH_SIZE = 1024;

export interface PredictProgress {
  file: string;
  /** What bytesDone and bytesTotal count: bytes of a CSV (the default), rows of a Parquet file. */
  unit?: 'bytes' | 'rows';
  bytesDone: number;
  /** Undefined when the size is unknown (stdin). */
  bytesTotal?: number;
  rows: number;
  elapsedMs: number;
}

export interface PredictBatchOptions {
  /** Model path or registry reference. */
  model: string;
  registry?: string;
  /** Input CSV or Parquet files (already expanded from globs and folders). */
  inputs: string[];
  /** Read every input as this format (default: Parquet by its magic bytes, else CSV); a mismatch is refused. */
  inputFormat?: TableFormat;
  /** Output file, or '-' for `stdout`; one input only. */
  output?: string;
  /** Folder for one output per input (same file name). */
  outputDir?: string;
  /** csv or parquet; by default Parquet when the output's name ends in .parquet, else CSV. */
  outputFormat?: OutputFormat;
  /** Parquet outputs' codec (default zstd); refused when no output is Parquet. */
  compression?: ParquetCompression;
  batchSize?: number;
  /** onnxruntime intra-op threads in the inference worker. */
  threads?: number;
  /** Let the main thread run a batch itself when the worker is two behind (default true). */
  mainThreadInference?: boolean;
  features?: string[];
  /** Columns that are not features (ids, labels); copied to the output unless `keep` chooses otherwise. */
  ignore?: string[];
  keep?: string[];
  keepAll?: boolean;
  onError?: 'fail' | 'skip';
  rejects?: string;
  maxRejects?: number;
  allowMissing?: boolean;
  shard?: ShardSpec;
  /** Where '-' writes (default process.stdout). */
  stdout?: NodeJS.WritableStream;
  onProgress?: (progress: PredictProgress) => void;
  /** Called once per warning as it arises (the result lists them too). */
  onWarning?: (message: string) => void;
}

export interface FileSummary {
  input: string;
  output: string;
  rows_read: number;
  rows_written: number;
  rows_rejected: number;
  rejects_file: string | null;
  /** CSV shards are byte ranges; Parquet shards are row ranges (0-based, [row_start, row_end), whole row groups). */
  shard:
    | { index: number; count: number; source: string; byte_start: number; byte_end: number }
    | { index: number; count: number; source: string; row_start: number; row_end: number }
    | null;
  feature_source: PredictPlan['featureSource'];
  features: string[];
  kept: string[];
  output_columns: string[];
  /** Rows per inference call (the model's own when it fixes one). */
  batch_size: number;
}

export interface PredictBatchResult {
  model: { path: string; sha256: string; registry?: { name: string; model_version: number } };
  files: FileSummary[];
  rows_read: number;
  rows_written: number;
  rows_rejected: number;
  batch_size: number;
  threads: number;
  /** Batches the main thread inferred itself while the worker was busy (their time is in the main thread's stages). */
  main_thread_batches: number;
  /**
   * Main-thread time per stage; `infer` is onnxruntime's own time in the worker (overlapped with
   * parsing), `infer_main_thread` the main thread's own batches (counted in no other stage).
   */
  timings_ms: {
    parse: number;
    infer: number;
    infer_main_thread: number;
    infer_wait: number;
    format: number;
    write: number;
    total: number;
  };
  rows_per_second: number;
  peak_rss_bytes: number;
  /** Things the run worked around, e.g. a model with a fixed batch size. */
  warnings: string[];
}

/** Main-thread milliseconds per stage, summed over the run's files. */
export interface Timings {
  parse: number;
  inferWait: number;
  format: number;
  write: number;
  /** Batches the main thread inferred itself (awaited at once, so no other stage counts them). */
  inferMain: number;
}

/**
 * What every file of a run shares, set up once (setup.ts) and read by each
 * file's pipeline. Only `timings` changes: each pipeline adds its time to it.
 */
export interface RunContext {
  options: PredictBatchOptions;
  /** The model's inputs and outputs (it is compiled in the runner's worker only). */
  signature: ModelSignature;
  zipmaps: ZipMapRewrite[];
  runner: Runner;
  recordedFeatures: PlanOptions['recordedFeatures'];
  timings: Timings;
  warn: (message: string) => void;
}

/** `mlops predict-batch`: stream CSV rows through a model, write predictions as CSV. */
import { rmdir, stat } from 'node:fs/promises';
import { loadModel } from '../onnx/load-model.js';
import { stripZipMap, type ZipMapRewrite } from '../onnx/zipmap.js';
import { openSession, type ModelSession } from '../runtime/session.js';
import { workerRunner, type Runner } from '../runtime/worker-session.js';
import { availableCores } from '../runtime/cores.js';
import { fileError, readHeader, readRows, type CsvHeaderInfo, type RowChunk } from '../table/row-reader.js';
import type { Tensor } from '../onnx/tensor.js';
import { MlopsError } from '../util/errors.js';
import { BatchEncoder, csvField, type EncodedBatch } from './encode.js';
import { RejectsLog } from './rejects-log.js';
import { formatRows, outputColumns, type OutputColumn } from './format.js';
import { fileSink, streamSink, type OutputSink } from './output-sink.js';
import { planColumns, type PlanOptions, type PredictPlan } from './plan.js';
import { planOutputs } from './output-paths.js';
import { chunkRows, headRows } from '../table/bounded-rows.js';
import { scanForShard, shardRange, type ShardSpec } from './shard.js';

export { resolveShard, parseShard, type ShardSpec } from './shard.js';

export const DEFAULT_BATCH_SIZE = 4096;
/** Rows in memory per batch at most (twice over: one batch is inferred while the next is parsed). */
export { MAX_BATCH_SIZE } from '../util/limits.js';
import { MAX_BATCH_SIZE } from '../util/limits.js';

export interface PredictProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
  rows: number;
  elapsedMs: number;
}

export interface PredictBatchOptions {
  /** Model path or registry reference. */
  model: string;
  registry?: string;
  /** Input CSV files (already expanded from globs and folders). */
  inputs: string[];
  /** Output file, or '-' for `stdout`; one input only. */
  output?: string;
  /** Folder for one output per input (same file name). */
  outputDir?: string;
  batchSize?: number;
  threads?: number;
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
  shard: { index: number; count: number; source: string; byte_start: number; byte_end: number } | null;
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
  /** Main-thread time per stage; `infer` is onnxruntime's own time in the worker (overlapped with parsing). */
  timings_ms: { parse: number; infer: number; infer_wait: number; format: number; write: number; total: number };
  rows_per_second: number;
  peak_rss_bytes: number;
  /** Things the run worked around, e.g. a model with a fixed batch size. */
  warnings: string[];
}

interface Timings {
  parse: number;
  infer: number;
  inferWait: number;
  format: number;
  write: number;
}

export async function predictBatch(options: PredictBatchOptions): Promise<PredictBatchResult> {
  const started = performance.now();
  validateOptions(options);
  const planned = await planOutputs(options.inputs, options);
  const warnings: string[] = [];
  const warn = (message: string) => {
    if (warnings.includes(message)) return;
    warnings.push(message);
    options.onWarning?.(message);
  };
  const cores = availableCores();
  let threads = options.threads ?? defaultThreads();
  if (threads > cores) {
    warn(`--threads ${threads} is more than the ${cores} cores here; using ${cores} (more threads than cores only adds contention)`);
    threads = cores;
  }
  if (options.onError === 'skip' && !planned.rejects.some(Boolean)) warn('--on-error skip without --rejects: rejected rows are counted but not kept; pass --rejects FILE to see them');
  if ((options.batchSize ?? 0) > 100_000) warn(`--batch-size ${options.batchSize} keeps that many rows in memory at once, twice over while one batch is inferred and the next parsed; beyond a few thousand rows it is rarely faster`);
  const loaded = await loadModel(options.model, { registry: options.registry });
  let zipmaps: ZipMapRewrite[] = [];
  const session = await openSession(loaded, { threads: 1, transform: (m) => (zipmaps = stripZipMap(m)) });
  // Inference runs in a worker thread so that parsing and formatting overlap with it
  // (onnxruntime-node's run blocks the thread that calls it).
  let runner: Runner;
  try {
    runner = await workerRunner(session, session.bytes, threads);
  } finally {
    await session.release();
  }
  const recordedFeatures = loaded.recordedFeatures;
  if (options.features && recordedFeatures && options.features.join(',') !== recordedFeatures.names.join(',')) {
    warn(`--features differs from the feature list recorded with the model (${recordedFeatures.source === 'registry' ? 'registry tag "features"' : 'ONNX metadata "feature_names"'}: ${recordedFeatures.names.slice(0, 4).join(', ')}${recordedFeatures.names.length > 4 ? ', ...' : ''}); --features is used`);
  }
  if ((loaded.model.graph?.node ?? []).some((n) => n.opType === 'DynamicQuantizeLinear')) {
    warn('the model is dynamically quantized (int8): it quantizes activations per inference call, so its outputs depend on --batch-size and on which rows share a batch; keep the batch size fixed between runs you compare');
  }
  const timings: Timings = { parse: 0, infer: 0, inferWait: 0, format: 0, write: 0 };
  const files: FileSummary[] = [];
  // Outputs become visible only once every input has succeeded: a failed run leaves no results.
  const pending: PendingOutput[] = [];
  try {
    for (const [i, input] of options.inputs.entries()) {
      const target = { output: planned.outputs[i], rejects: planned.rejects[i] };
      files.push(await predictFile({ session, runner, zipmaps, options: { ...options, recordedFeatures }, timings, warn, pending }, input, target));
    }
    for (const p of pending.splice(0)) await p.commit();
  } catch (err) {
    for (const p of pending) await p.abort();
    throw err;
  } finally {
    if (planned.rejectsDir) await rmdir(planned.rejectsDir).catch(() => {}); // only if nothing was rejected
    timings.infer = runner.inferenceMs;
    await runner.release();
  }
  const total = performance.now() - started;
  const rowsWritten = files.reduce((n, f) => n + f.rows_written, 0);
  return {
    model: { path: loaded.path, sha256: loaded.sha256, ...(loaded.registry ? { registry: loaded.registry } : {}) },
    files,
    rows_read: files.reduce((n, f) => n + f.rows_read, 0),
    rows_written: rowsWritten,
    rows_rejected: files.reduce((n, f) => n + f.rows_rejected, 0),
    batch_size: files[0]?.batch_size ?? options.batchSize ?? DEFAULT_BATCH_SIZE,
    threads,
    timings_ms: {
      parse: round(timings.parse), infer: round(timings.infer), infer_wait: round(timings.inferWait),
      format: round(timings.format), write: round(timings.write), total: round(total),
    },
    rows_per_second: Math.round(rowsWritten / (total / 1000)),
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    warnings,
  };
}

/** One core stays with the main thread, which parses and formats while the worker infers (cores: the container's CPU limit, if lower). */
export function defaultThreads(): number {
  return Math.max(1, availableCores() - 1);
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function validateOptions(options: PredictBatchOptions): void {
  if (options.inputs.length === 0) throw new MlopsError('USAGE', 'no input files', { hint: 'pass --input data.csv (a file, a folder or a glob)' });
  if (options.outputDir && options.output) throw new MlopsError('USAGE', '--output and --output-dir are exclusive');
  if (!options.outputDir && !options.output) throw new MlopsError('USAGE', 'where should predictions go?', { hint: 'pass --output preds.csv (or - for stdout), or --output-dir for several inputs' });
  if (options.output && options.inputs.length > 1) {
    throw new MlopsError('USAGE', `${options.inputs.length} input files but a single --output`, { hint: 'use --output-dir DIR: each input gets DIR/<its name>' });
  }
  if (options.rejects && options.onError !== 'skip') throw new MlopsError('USAGE', '--rejects needs --on-error skip');
  if (options.maxRejects !== undefined && options.onError !== 'skip') throw new MlopsError('USAGE', '--max-rejects needs --on-error skip (by default the first bad row stops the run)');
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) throw new MlopsError('USAGE', '--threads must be a positive integer');
  if (options.rejects && options.inputs.length > 1) throw new MlopsError('USAGE', '--rejects takes one input; with --output-dir, rejects go to DIR/rejects/<name>');
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > MAX_BATCH_SIZE)) {
    throw new MlopsError('USAGE', `--batch-size must be an integer from 1 to ${MAX_BATCH_SIZE}`, { hint: `the default, ${DEFAULT_BATCH_SIZE}, is about as fast as any` });
  }
}

/** What every file of a run shares. */
interface RunContext {
  session: ModelSession;
  runner: Runner;
  zipmaps: ZipMapRewrite[];
  options: PredictBatchOptions & { recordedFeatures: PlanOptions['recordedFeatures'] };
  timings: Timings;
  warn: (message: string) => void;
  /** Finished files waiting for the whole run to succeed. */
  pending: PendingOutput[];
}

interface PendingOutput {
  commit(): Promise<void>;
  abort(): Promise<void>;
}

interface FileTarget {
  output: string;
  rejects?: string;
}

async function predictFile(context: RunContext, input: string, target: FileTarget): Promise<FileSummary> {
  const { options } = context;
  const info = await stat(input).catch((err) => {
    throw fileError(input, err);
  });
  if (!info.isFile() && !info.isDirectory()) {
    throw new MlopsError('CSV_NOT_A_FILE', `${input} is a pipe or device, not a file: predict-batch reads the header, then the rows, by position (and shards by byte range)`, {
      hint: 'save the data to a file first (e.g. ... > data.csv) and pass that',
    });
  }
  const headerInfo = await readHeader(input);
  const { size } = info;
  let range: { start: number; end: number } | undefined;
  let linesBefore: number | undefined;
  if (options.shard) {
    range = shardRange(headerInfo.dataStart, size, options.shard);
    linesBefore = (await scanForShard(input, range.start - 1)).linesBefore;
  }
  const rows = readRows(input, headerInfo, { range, linesBefore, malformedRows: 'mark' });
  try {
    return await predictRows(context, input, target, { headerInfo, size, range, rows });
  } finally {
    await rows.return(undefined); // closes the file when we stop early (a bad row, a mapping error)
  }
}

async function predictRows(
  context: RunContext,
  input: string,
  target: FileTarget,
  source: { headerInfo: CsvHeaderInfo; size: number; range?: { start: number; end: number }; rows: AsyncGenerator<RowChunk> },
): Promise<FileSummary> {
  const { session, runner, zipmaps, options, timings, warn, pending } = context;
  const { output, rejects: rejectsPath } = target;
  const { headerInfo, size, range, rows } = source;
  let batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const onError = options.onError ?? 'fail';

  // The file's first rows decide which columns are numeric, the same in every shard of it;
  // nothing is written before the plan holds.
  let t = performance.now();
  const first = await nextChunk(rows);
  // A shard judges columns on the first rows of the whole file, so every shard maps alike.
  const sample = range && range.start > headerInfo.dataStart ? await headRows(input, headerInfo, SAMPLE_ROWS) : chunkRows(first, SAMPLE_ROWS);
  timings.parse += performance.now() - t;
  const plan = planColumns(input, headerInfo.header, sample, session.inputs, options);
  if (plan.byOrderWarning) warn(plan.byOrderWarning);
  const fixed = plan.fixedBatch;
  if (fixed !== undefined) {
    // Batches become a whole number of the model's batches, run one model call each.
    batchSize = Math.max(1, Math.floor(batchSize / fixed)) * fixed;
    warn(`model input${session.inputs.length > 1 ? 's' : ''} ${session.inputs.map((i) => `"${i.name}" [${i.shape?.join(', ')}]`).join(', ')} fix${session.inputs.length > 1 ? '' : 'es'} the batch size at ${fixed}: `
      + `onnxruntime runs ${fixed === 1 ? 'one row at a time' : `${fixed} rows at a time, the last batch padded`}, which is slower; `
      + `re-export with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={"${session.inputs[0].name}": {0: "batch"}})) for full speed`);
  }

  // Everything that can fail before the first row is decided before an output file exists.
  const fetch = perRowOutputs(session, plan.fixedBatch, warn);
  const encoder = new BatchEncoder({ file: input, header: headerInfo.header, plan, onError, allowMissing: options.allowMissing ?? false }, batchSize, plan.fixedBatch);
  const sink: OutputSink = output === '-' ? streamSink(options.stdout ?? process.stdout) : await fileSink(output);
  const rejects = await RejectsLog.open(rejectsPath, options.rejects !== undefined).catch(async (err) => {
    await sink.abort();
    throw err;
  });
  const keptNames = plan.keep.map((c) => headerInfo.header[c]);
  let columns: OutputColumn[] | undefined;
  let rowsRead = 0;
  let rowsWritten = 0;
  const startedFile = performance.now();

  const writeHeader = async (tensors: Tensor[]) => {
    columns = outputColumns(session.model, fetch.map((n, i) => [n, tensors[i]]), zipmaps, new Set(keptNames));
    await sink.write([...keptNames, ...columns.flatMap((c) => c.names)].map(csvField).join(',') + '\n');
  };
  const writeResults = async (encoded: EncodedBatch, results: Record<string, Tensor>) => {
    const tensors = fetch.map((name) => results[name]);
    tensors.forEach((t, i) => {
      if (t.dims.length === 0 || t.dims[0] !== encoded.fed) {
        throw new MlopsError('OUTPUT_NOT_PER_ROW', `model output "${fetch[i]}" has shape [${t.dims.join(', ')}] for a batch of ${encoded.fed} rows: it does not give one row per input row, so it cannot be written as CSV columns`, {
          hint: 'predict-batch writes outputs whose first axis is the batch; export the model so that every output it returns has one',
        });
      }
    });
    if (!columns) await writeHeader(tensors);
    const tf = performance.now();
    const text = formatRows(encoded.rows, encoded.kept, plan.keep.length, tensors, columns!.map((c) => c.names.length), fetch);
    timings.format += performance.now() - tf;
    const tw = performance.now();
    await sink.write(text);
    timings.write += performance.now() - tw;
    rowsWritten += encoded.rows;
  };

  let inflight: Promise<[EncodedBatch, Record<string, Tensor>]> | undefined;
  const awaitInflight = async () => {
    if (!inflight) return;
    const tw = performance.now();
    const [done, results] = await inflight;
    inflight = undefined;
    timings.inferWait += performance.now() - tw;
    await writeResults(done, results);
  };
  // Inference runs on onnxruntime's threads while we parse the next batch.
  const takeRejects = async () => {
    const taken = encoder.takeRejects();
    rowsRead += taken.length;
    await rejects.add(taken);
    if (options.maxRejects !== undefined && rejects.count > options.maxRejects) {
      const last = rejects.last!;
      // The rejects so far are what the user needs to fix the input: publish them, but no predictions.
      await rejects.commit();
      throw new MlopsError('TOO_MANY_REJECTS', `${input}: ${rejects.count} rejected rows, more than --max-rejects ${options.maxRejects} (latest: line ${last.line}: ${last.reason})`, {
        exitCode: 1, hint: `the input is worse than allowed; no predictions were written${rejectsPath ? `; the rejected rows so far are in ${rejectsPath}` : ' (pass --rejects FILE to see the rejected rows)'}`,
      });
    }
  };
  const dispatch = async (encoded: EncodedBatch) => {
    rowsRead += encoded.rows;
    const run: Promise<[EncodedBatch, Record<string, Tensor>]> | undefined = encoded.rows > 0
      ? runner.run(encoded.feeds, fetch, fixed).then((r): [EncodedBatch, Record<string, Tensor>] => [encoded, r], (err) => {
        // Say which rows: a model that fails on some batches only (a value out of a lookup's range...) is found there.
        if (err instanceof MlopsError) throw new MlopsError(err.code, `${input}: rows on lines ${encoded.firstLine}-${encoded.lastLine}: ${err.message}`, { hint: err.hint, exitCode: err.exitCode, cause: err });
        throw err;
      })
      : undefined;
    run?.catch(() => {}); // handled when awaited; avoid an unhandled rejection meanwhile
    await awaitInflight();
    inflight = run;
  };

  try {
    for (let chunk = first; chunk; ) {
      t = performance.now();
      let r = 0;
      while (r < chunk.count) {
        r = encoder.add(chunk, r);
        if (encoder.full) {
          timings.parse += performance.now() - t;
          await takeRejects();
          await dispatch(encoder.finish());
          t = performance.now();
        }
      }
      await takeRejects();
      options.onProgress?.({ file: input, bytesDone: chunk.bytesRead, bytesTotal: range ? range.end - range.start : size - headerInfo.dataStart, rows: rowsRead + encoder.rows, elapsedMs: performance.now() - startedFile });
      chunk = await nextChunk(rows);
      timings.parse += performance.now() - t;
    }
    await takeRejects();
    await dispatch(encoder.finish());
    await awaitInflight();
    if (!columns) await writeHeader(await emptyRun(session, runner, encoder, fetch));
    pending.push({
      commit: async () => {
        await rejects.commit();
        await sink.commit();
      },
      abort: async () => {
        await rejects.abort();
        await sink.abort();
      },
    });
  } catch (err) {
    await inflight?.catch(() => {});
    await rejects.abort();
    await sink.abort();
    throw err;
  }
  return {
    input,
    output,
    rows_read: rowsRead,
    rows_written: rowsWritten,
    rows_rejected: rejects.count,
    rejects_file: rejectsPath && (rejects.count > 0 || options.rejects !== undefined) ? rejectsPath : null,
    shard: options.shard && range ? { ...options.shard, byte_start: range.start, byte_end: range.end } : null,
    feature_source: plan.featureSource,
    features: plan.bindings.flatMap((b) => b.columns.map((c) => headerInfo.header[c])),
    kept: plan.keep.map((c) => headerInfo.header[c]),
    output_columns: (columns ?? []).flatMap((c) => c.names),
    batch_size: batchSize,
  };
}

/**
 * The outputs written to the CSV: those with one row per input row. An output
 * declared without the batch axis (a scalar, a constant [3]) is left out with a
 * warning; one whose axis is symbolic is checked on every batch.
 */
function perRowOutputs(session: ModelSession, fixedBatch: number | undefined, warn: (message: string) => void): string[] {
  const fetch: string[] = [];
  for (const o of session.tensorOutputs) {
    const first = o.shape?.[0];
    const perRow = o.shape === null || (o.shape.length > 0 && (typeof first !== 'number' || first === fixedBatch));
    if (perRow) fetch.push(o.name);
    else warn(`model output "${o.name}" has shape [${o.shape!.join(', ')}], not one row per input row: it is left out of the CSV`);
  }
  if (fetch.length === 0) {
    throw new MlopsError('OUTPUT_NOT_PER_ROW', `none of the model's outputs has a batch axis (${session.tensorOutputs.map((o) => `"${o.name}" [${o.shape?.join(', ')}]`).join(', ')}), so there is nothing to write per row`, {
      hint: 'export the model with a batch axis on its outputs',
    });
  }
  return fetch;
}

async function nextChunk(rows: AsyncGenerator<RowChunk>): Promise<RowChunk | undefined> {
  const next = await rows.next();
  return next.done ? undefined : next.value;
}

/** Rows the column kinds are judged on. */
const SAMPLE_ROWS = 100;

/** Output widths when there are no rows: run on a zero-row batch where the model allows it. */
async function emptyRun(session: ModelSession, runner: Runner, encoder: BatchEncoder, fetch: string[]): Promise<Tensor[]> {
  const empty = encoder.finish();
  try {
    const results = await runner.run(empty.feeds, fetch);
    return fetch.map((n) => results[n]);
  } catch {
    // Some models reject empty batches: fall back to declared shapes.
    return session.tensorOutputs.map((o) => ({ type: o.type as Tensor['type'], dims: (o.shape ?? [0]).map((d) => (typeof d === 'number' ? d : 0)), data: new Float32Array(0) }));
  }
}


/**
 * predict-batch's setup: the run's (options, output paths, model, inference
 * worker) once, then each file's (header, shard, column plan, outputs fetched).
 * Everything that can fail before the first row is decided here, before an
 * output file exists.
 */
import { stat } from 'node:fs/promises';
import { loadModel } from '../models/load-model.js';
import { stripZipMap, type ZipMapRewrite } from '../onnx/zipmap.js';
import { prepareModel, type ModelSignature } from '../runtime/session.js';
import { startWorkerRunner } from '../runtime/worker-session.js';
import { helpedRunner } from '../runtime/helped-runner.js';
import { availableCores } from '../runtime/cores.js';
import { fileError, readHeader, readRows, type CsvHeaderInfo, type RowChunk } from '../table/row-reader.js';
import { chunkRows, headRows } from '../table/bounded-rows.js';
import { STDIN } from '../table/stdin-table.js';
import type { TableFormat } from '../table/table-format.js';
import { MlopsError } from '../util/errors.js';
import { MAX_BATCH_SIZE } from '../util/limits.js';
import { planColumns, type PredictPlan } from './plan.js';
import { planOutputs, type OutputPlan } from './output-paths.js';
import { scanForShard, shardRange, shardRowGroups, type ShardSpec } from './shard.js';
import {
  DEFAULT_BATCH_SIZE,
  type PredictBatchOptions,
  type PredictBatchResult,
  type RunContext,
  type Timings,
} from './types.js';

/** One core stays with the main thread, which parses and formats while the worker infers (cores: the container's CPU limit, if lower). */
export function defaultThreads(): number {
  return Math.max(1, availableCores() - 1);
}

export function validateOptions(options: PredictBatchOptions): void {
  if (options.inputs.length === 0)
    throw new MlopsError('OPTION_MISSING', 'no input files', {
      hint: 'pass `inputs`: data.csv (a file, a folder or a glob)',
    });
  if (options.outputDir && options.output)
    throw new MlopsError('OPTIONS_CONFLICT', '`output` and `outputDir` are exclusive');
  if (!options.outputDir && !options.output)
    throw new MlopsError('OPTION_MISSING', 'where should predictions go?', {
      hint: 'pass `output` preds.csv (or - for stdout), or `outputDir` for several inputs',
    });
  if (options.output && options.inputs.length > 1) {
    throw new MlopsError('OPTIONS_CONFLICT', `${options.inputs.length} input files but a single \`output\``, {
      hint: 'use `outputDir` DIR: each input gets DIR/<its name>',
    });
  }
  if (options.inputs.includes(STDIN)) checkStdinOptions(options);
  if (options.rejects && options.onError !== 'skip')
    throw new MlopsError('OPTION_MISSING', '`rejects` needs `onError` skip');
  if (options.maxRejects !== undefined && options.onError !== 'skip')
    throw new MlopsError(
      'OPTION_MISSING',
      '`maxRejects` needs `onError` skip (by default the first bad row stops the run)',
    );
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1))
    throw new MlopsError('OPTION_INVALID', '`threads` must be a positive integer');
  if (options.rejects && options.inputs.length > 1)
    throw new MlopsError(
      'OPTIONS_CONFLICT',
      '`rejects` takes one input; with `outputDir`, rejects go to DIR/rejects/<name>',
    );
  if (
    options.batchSize !== undefined &&
    (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > MAX_BATCH_SIZE)
  ) {
    throw new MlopsError('OPTION_INVALID', `\`batchSize\` must be an integer from 1 to ${MAX_BATCH_SIZE}`, {
      hint: `the default, ${DEFAULT_BATCH_SIZE}, is about as fast as any`,
    });
  }
}

/** stdin is read once, from start to end: one input, named outputs, no byte ranges. */
function checkStdinOptions(options: PredictBatchOptions): void {
  if (options.inputs.length > 1)
    throw new MlopsError('OPTIONS_CONFLICT', '`inputs` - (stdin) cannot be combined with other inputs', {
      hint: 'run stdin and the files separately',
    });
  if (options.outputDir)
    throw new MlopsError('OPTIONS_CONFLICT', 'stdin has no file name to write under `outputDir`', {
      hint: 'name the output: `output` preds.csv, or - for stdout',
    });
  const shard = options.shard;
  // The shard came from the option, or from an array job's environment variable (named by source).
  const dropIt = shard?.source.startsWith('-') ? 'drop `shard`' : `unset ${shard?.source}`;
  if (shard)
    throw new MlopsError(
      'OPTIONS_CONFLICT',
      `stdin cannot be sharded (shard ${shard.index}/${shard.count} from ${shard.source}): a shard is a byte range of a file, and a pipe is read once from its start`,
      {
        hint: `save the data to a file first and shard that, or ${dropIt} to read all of stdin`,
      },
    );
}

export interface RunSetup {
  context: RunContext;
  outputs: OutputPlan;
  threads: number;
  model: PredictBatchResult['model'];
}

/** Options checked, outputs planned, the model loaded and compiled once, in the inference worker. */
export async function setUpRun(
  options: PredictBatchOptions,
  warn: (message: string) => void,
  timings: Timings,
): Promise<RunSetup> {
  validateOptions(options);
  const outputs = await planOutputs(options.inputs, options);
  const cores = availableCores();
  let threads = options.threads ?? defaultThreads();
  if (threads > cores) {
    warn(
      `\`threads\` ${threads} is more than the ${cores} cores here; using ${cores} (more threads than cores only adds contention)`,
    );
    threads = cores;
  }
  if (options.onError === 'skip' && !outputs.rejects.some(Boolean))
    warn(
      '`onError` skip without `rejects`: rejected rows are counted but not kept; set `rejects` to a file to see them',
    );
  if ((options.batchSize ?? 0) > 100_000)
    warn(
      `\`batchSize\` ${options.batchSize} keeps that many rows in memory at once, twice over while one batch is inferred and the next parsed; beyond a few thousand rows it is rarely faster`,
    );
  const loaded = await loadModel(options.model, { registry: options.registry });
  let zipmaps: ZipMapRewrite[] = [];
  const prepared = await prepareModel(loaded, { transform: (m) => (zipmaps = stripZipMap(m)) });
  // Inference runs in a worker thread so that parsing and formatting overlap with it
  // (onnxruntime-node's run blocks the thread that calls it). The model is compiled there only.
  // Not awaited: rows are read and parsed while the worker loads onnxruntime and compiles the model
  // (about 0.1 s); a model that does not load fails the first run, before any output is published.
  const worker = startWorkerRunner(prepared, threads);
  const runner = options.mainThreadInference === false ? worker : helpedRunner(worker, prepared);
  // A stream may stall before the first batch fills: a model that cannot load must not wait for it.
  if (options.inputs.includes('-')) await worker.ready;
  const recordedFeatures = loaded.recordedFeatures;
  if ((loaded.model.graph?.node ?? []).some((n) => n.opType === 'DynamicQuantizeLinear')) {
    warn(
      'the model is dynamically quantized (int8): it quantizes activations per inference call, so its outputs depend on `batchSize` and on which rows share a batch; keep the batch size fixed between runs you compare',
    );
  }
  return {
    context: { options, signature: prepared.signature, zipmaps, runner, recordedFeatures, timings, warn },
    outputs,
    threads,
    model: { path: loaded.path, sha256: loaded.sha256, ...(loaded.registry ? { registry: loaded.registry } : {}) },
  };
}

/** An input opened for reading: its header, its shard's byte range (CSV) or row range (Parquet) and the rows in it. */
export interface InputSource {
  input: string;
  headerInfo: CsvHeaderInfo;
  range?: { start: number; end: number };
  /** Parquet: the shard's rows [start, end), 0-based, whole row groups. */
  rowRange?: { start: number; end: number };
  /** Bytes of rows to read (the shard's, or the whole file's after the header), for progress; in Parquet, rows. */
  bytesTotal: number | undefined;
  rows: AsyncGenerator<RowChunk>;
}

/** The caller closes `rows` (rows.return()) when done, also when it stops early. */
export async function openInput(
  input: string,
  shard: ShardSpec | undefined,
  format?: TableFormat,
): Promise<InputSource> {
  if (input === STDIN) {
    // Read as it comes: the header, then the rows from the same bytes (validateOptions refused a shard).
    const { openStreamTable } = await import('../table/stdin-table.js');
    // Messages, the progress line and the summary call it stdin.
    const name = 'stdin';
    const { headerInfo, rows } = await openStreamTable(process.stdin, { name, format, malformedRows: 'mark' });
    return { input: name, headerInfo, bytesTotal: undefined, rows };
  }
  const info = await stat(input).catch((err) => {
    throw fileError(input, err);
  });
  if (!info.isFile() && !info.isDirectory()) {
    throw new MlopsError(
      'CSV_NOT_A_FILE',
      `${input} is a pipe or device, not a file: predict-batch reads the header, then the rows, by position (and shards by byte range)`,
      {
        hint: 'save the data to a file first (e.g. ... > data.csv) and pass that',
      },
    );
  }
  const headerInfo = await readHeader(input, format);
  const { parquet } = headerInfo;
  if (parquet) {
    // Parquet shards by whole row groups: each is decoded by one shard only.
    const rowRange = shard ? shardRowGroups(parquet.rowGroups, parquet.rows, shard) : undefined;
    const rows = readRows(input, headerInfo, { rowRange });
    return {
      input,
      headerInfo,
      ...(rowRange ? { rowRange } : {}),
      bytesTotal: rowRange ? rowRange.end - rowRange.start : parquet.rows,
      rows,
    };
  }
  let range: { start: number; end: number } | undefined;
  let linesBefore: number | undefined;
  if (shard) {
    range = shardRange(headerInfo.dataStart, info.size, shard);
    linesBefore = (await scanForShard(input, range.start - 1)).linesBefore;
  }
  const rows = readRows(input, headerInfo, { range, linesBefore, malformedRows: 'mark' });
  return {
    input,
    headerInfo,
    range,
    bytesTotal: range ? range.end - range.start : info.size - headerInfo.dataStart,
    rows,
  };
}

/** How one file is predicted, decided before any of it is written. */
export interface FilePlan {
  plan: PredictPlan;
  /** Rows per batch (a whole number of the model's batches when it fixes one). */
  batchSize: number;
  /** The outputs written to the CSV. */
  fetch: string[];
  /** The file's first chunk of rows, already read for the sample. */
  first: RowChunk | undefined;
}

export async function planFile(context: RunContext, source: InputSource): Promise<FilePlan> {
  const { options, signature, timings, warn } = context;
  const { input, headerInfo, range, rowRange, rows } = source;
  // The file's first rows decide which columns are numeric, the same in every shard of it;
  // nothing is written before the plan holds.
  const t = performance.now();
  const first = await nextChunk(rows);
  // A shard judges columns on the first rows of the whole file, so every shard maps alike.
  const sample =
    (range && range.start > headerInfo.dataStart) || (rowRange && rowRange.start > 0)
      ? await headRows(input, headerInfo, SAMPLE_ROWS)
      : chunkRows(first, SAMPLE_ROWS);
  timings.parse += performance.now() - t;
  const plan = planColumns(
    input,
    headerInfo.header,
    sample,
    signature.inputs,
    { ...options, recordedFeatures: context.recordedFeatures },
    headerInfo.parquet?.columns,
  );
  for (const warning of plan.warnings) warn(warning);
  let batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const fixed = plan.fixedBatch;
  if (fixed !== undefined) {
    // Batches become a whole number of the model's batches, run one model call each.
    batchSize = Math.max(1, Math.floor(batchSize / fixed)) * fixed;
    const { inputs } = signature;
    warn(
      `model input${inputs.length > 1 ? 's' : ''} ${inputs.map((i) => `"${i.name}" [${i.shape?.join(', ')}]`).join(', ')} fix${inputs.length > 1 ? '' : 'es'} the batch size at ${fixed}: ` +
        `onnxruntime runs ${fixed === 1 ? 'one row at a time' : `${fixed} rows at a time, the last batch padded`}, which is slower; ` +
        `re-export with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={"${inputs[0].name}": {0: "batch"}})) for full speed`,
    );
  }
  return { plan, batchSize, fetch: perRowOutputs(signature, fixed, warn), first };
}

/**
 * The outputs written to the CSV: those with one row per input row. An output
 * declared without the batch axis (a scalar, a constant [3]) is left out with a
 * warning; one whose axis is symbolic is checked on every batch. serve's
 * /invocations answers with the same outputs.
 */
export function perRowOutputs(
  signature: ModelSignature,
  fixedBatch: number | undefined,
  warn: (message: string) => void,
): string[] {
  const fetch: string[] = [];
  for (const o of signature.tensorOutputs) {
    const first = o.shape?.[0];
    const perRow = o.shape === null || (o.shape.length > 0 && (typeof first !== 'number' || first === fixedBatch));
    if (perRow) fetch.push(o.name);
    else
      warn(
        `model output "${o.name}" has shape [${o.shape!.join(', ')}], not one row per input row: it is left out of the CSV`,
      );
  }
  if (fetch.length === 0) {
    throw new MlopsError(
      'OUTPUT_NOT_PER_ROW',
      `none of the model's outputs has a batch axis (${signature.tensorOutputs.map((o) => `"${o.name}" [${o.shape?.join(', ')}]`).join(', ')}), so there is nothing to write per row`,
      {
        hint: 'export the model with a batch axis on its outputs',
      },
    );
  }
  return fetch;
}

export async function nextChunk(rows: AsyncGenerator<RowChunk>): Promise<RowChunk | undefined> {
  const next = await rows.next();
  return next.done ? undefined : next.value;
}

/** Rows the column kinds are judged on. */
const SAMPLE_ROWS = 100;

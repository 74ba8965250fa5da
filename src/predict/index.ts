/**
 * `mlops predict-batch`: stream CSV rows through a model, write predictions as CSV.
 * setup.ts decides (options, outputs, model, each file's plan), pipeline.ts
 * predicts one file, commit.ts publishes the outputs once every file succeeded.
 */
import { openFileOutputs, RunCommit } from './commit.js';
import { FilePipeline } from './pipeline.js';
import { openInput, planFile, setUpRun } from './setup.js';
import {
  DEFAULT_BATCH_SIZE,
  type FileSummary,
  type PredictBatchOptions,
  type PredictBatchResult,
  type RunContext,
  type Timings,
} from './types.js';
import type { OutputPlan } from './output-paths.js';
import { rowWord } from './row-place.js';

export { resolveShard, parseShard, type ShardSpec } from './shard.js';
export { defaultThreads } from './setup.js';
export {
  DEFAULT_BATCH_SIZE,
  type FileSummary,
  type PredictBatchOptions,
  type PredictBatchResult,
  type PredictProgress,
} from './types.js';
/** Rows in memory per batch at most (twice over: one batch is inferred while the next is parsed). */
export { MAX_BATCH_SIZE } from '../util/limits.js';

export async function predictBatch(options: PredictBatchOptions): Promise<PredictBatchResult> {
  const started = performance.now();
  const warnings: string[] = [];
  const warn = (message: string) => {
    if (warnings.includes(message)) return;
    warnings.push(message);
    options.onWarning?.(message);
  };
  const timings: Timings = { parse: 0, inferWait: 0, format: 0, write: 0, inferMain: 0 };
  const { context, outputs, threads, model } = await setUpRun(options, warn, timings);
  const files: FileSummary[] = [];
  const held = new RunCommit(outputs);
  let inferMs = 0;
  let mainThreadBatches = 0;
  try {
    for (const i of options.inputs.keys()) files.push(await predictFile(context, outputs, i, held));
    await held.commit();
  } catch (err) {
    await held.abort();
    // The worker compiles the model while rows are read: a model that cannot load is the first thing
    // to fix, whatever else failed meanwhile (a column count checked against its inputs, say).
    throw (
      (await context.runner.ready?.then(
        () => undefined,
        (loadError: unknown) => loadError,
      )) ?? err
    );
  } finally {
    await held.tidy();
    inferMs = context.runner.inferenceMs;
    mainThreadBatches = context.runner.mainThreadBatches ?? 0;
    await context.runner.release();
  }
  const total = performance.now() - started;
  const rowsWritten = files.reduce((n, f) => n + f.rows_written, 0);
  return {
    model,
    files,
    rows_read: files.reduce((n, f) => n + f.rows_read, 0),
    rows_written: rowsWritten,
    rows_rejected: files.reduce((n, f) => n + f.rows_rejected, 0),
    batch_size: files[0]?.batch_size ?? options.batchSize ?? DEFAULT_BATCH_SIZE,
    threads,
    main_thread_batches: mainThreadBatches,
    timings_ms: {
      parse: round(timings.parse),
      infer: round(inferMs),
      infer_main_thread: round(timings.inferMain),
      infer_wait: round(timings.inferWait),
      format: round(timings.format),
      write: round(timings.write),
      total: round(total),
    },
    rows_per_second: Math.round(rowsWritten / (total / 1000)),
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    warnings,
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Input `i` predicted into its outputs, which are held for the run to commit. */
async function predictFile(context: RunContext, outputs: OutputPlan, i: number, held: RunCommit): Promise<FileSummary> {
  const { options } = context;
  const source = await openInput(options.inputs[i], options.shard, options.inputFormat);
  try {
    const pipeline = new FilePipeline(context, source, await planFile(context, source));
    const out = await openFileOutputs(outputs, i, {
      ...options,
      timings: context.timings,
      rowWord: rowWord(source.headerInfo.format),
    });
    const summary = await pipeline.run(out); // aborts `out` when it fails
    held.hold(out);
    return summary;
  } finally {
    await source.rows.return(undefined); // closes the file when we stop early (a bad row, a mapping error)
  }
}

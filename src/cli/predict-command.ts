/** `mlops predict-batch`: declarations and progress display; the work is in src/predict/. */
import type { Command } from 'commander';
import { MlopsError } from '../util/errors.js';
import {
  collect,
  parseBatchSize,
  parseList,
  parseNonNegativeInt,
  parseOutputFile,
  parseOutputPath,
  parsePositiveInt,
} from './parsers.js';
import type { PredictBatchOptions } from '../predict/index.js';
import { DEFAULT_BATCH_SIZE } from '../predict/types.js';
import { addFlags, flagSet, readFlags, REGISTRY_FLAG } from './flags.js';
import { INPUT_FORMAT_FLAG } from './input-format-flag.js';
import { addFormatFlags, chosenFormat } from './format.js';
import { commandAction } from './shape.js';
import { phraseForCli } from './option-flags.js';

const FLAGS = flagSet<PredictBatchOptions>()({
  output: {
    flag: '--output <file>',
    help: 'output CSV, or Parquet when named *.parquet (written whole or not at all), or - for stdout (CSV, streamed: a run that fails may have printed rows)',
    parse: parseOutputPath,
  },
  outputDir: { flag: '--output-dir <dir>', help: 'one output per input, same file name', parse: parseOutputFile },
  outputFormat: {
    flag: '--output-format <format>',
    help: 'csv or parquet (default: parquet for an output named *.parquet, else csv; with --output-dir, names take its extension)',
    choices: ['csv', 'parquet'],
  },
  compression: {
    flag: '--compression <codec>',
    help: 'Parquet outputs: zstd (default), snappy, gzip, lz4 or uncompressed',
    choices: ['zstd', 'snappy', 'gzip', 'lz4', 'uncompressed'],
  },
  batchSize: {
    flag: '--batch-size <n>',
    help: `rows per inference call (default ${DEFAULT_BATCH_SIZE})`,
    parse: parseBatchSize,
  },
  threads: {
    flag: '--threads <n>',
    help: 'onnxruntime intra-op threads of the inference worker (default: cores - 1; the main thread parses meanwhile; at most the core count)',
    parse: parsePositiveInt,
  },
  mainThreadInference: {
    flag: '--main-thread-inference',
    help: 'when the inference worker holds 8,192 rows (and at least 2 batches), the main thread runs the next batch itself on a one-thread session (default; batches over 8,192 rows always go to the worker)',
    negate: 'leave every batch to the inference worker',
  },
  features: { flag: '--features <cols>', help: 'columns feeding a single [N, F] input, in order', parse: parseList },
  ignore: {
    flag: '--ignore <cols>',
    help: 'columns that are not features (ids, labels); copied to the output unless --keep says otherwise',
    parse: parseList,
  },
  keep: {
    flag: '--keep <cols>',
    help: 'input columns copied beside the predictions (default: the non-feature columns); they are not features either',
    parse: parseList,
  },
  keepAll: { flag: '--keep-all', help: 'copy every input column' },
  onError: {
    flag: '--on-error <mode>',
    help: 'bad rows: fail (exit 2) or skip (set aside)',
    choices: ['fail', 'skip'],
    default: 'fail',
  },
  rejects: {
    flag: '--rejects <file>',
    help: 'with --on-error skip: write rejected rows, their line and the reason here (a file, or /dev/stderr)',
    parse: parseOutputFile,
  },
  maxRejects: {
    flag: '--max-rejects <n>',
    help: 'with --on-error skip: fail (exit 1, no output) beyond this many rejected rows',
    parse: parseNonNegativeInt,
  },
  allowMissing: { flag: '--allow-missing', help: 'feed empty, null and NaN values as NaN instead of rejecting them' },
  inputFormat: INPUT_FORMAT_FLAG,
  registry: REGISTRY_FLAG,
});

/** The CLI's own flags: --input takes globs and folders, --shard text; the display flags are not the library's. */
interface PredictCliFlags {
  input: string[];
  shard?: string;
  shards?: number;
  /** true: --progress, false: --no-progress, undefined: only on a terminal. */
  progress?: boolean;
}

const INPUT = flagSet<Pick<PredictCliFlags, 'input'>>()({
  input: {
    flag: '--input <path>',
    help: 'CSV or Parquet file, folder of .csv/.parquet files, a glob like "data/part-*.parquet" (repeatable), or - for CSV on stdin (then --output FILE or -)',
    parse: collect,
    required: true,
  },
});

const CLI_FLAGS = flagSet<Omit<PredictCliFlags, 'input'>>()({
  shard: {
    flag: '--shard <i/n>',
    help: 'process the i-th (0-based) of n byte ranges of each input (of n runs of row groups in Parquet)',
  },
  shards: {
    flag: '--shards <n>',
    help: 'number of shards when the index comes from JOB_COMPLETION_INDEX (Kubernetes Indexed Job)',
    parse: parsePositiveInt,
  },
  progress: {
    flag: '--progress',
    help: 'progress line on stderr even when it is not a terminal',
    negate: 'no progress line on stderr (by default it shows only on a terminal)',
  },
});

export function addPredictCommand(program: Command): void {
  const cmd = program
    .command('predict-batch')
    .description(
      'stream CSV or Parquet rows through a model and write predictions as CSV (bounded memory, parallel parse and inference)',
    )
    .argument('<model>', 'ONNX model file or registry reference (name, name@3, name@production)');
  addFlags(cmd, INPUT, FLAGS, CLI_FLAGS);
  addFormatFlags(cmd, ['table', 'json'], {
    json: 'print a summary document on stdout (same as --format json; table: the summary line on stderr only)',
  })
    .addHelpText(
      'after',
      `
Column mapping: a model with one input per column ([N, 1], as scikit-learn converters emit) reads the
columns named like its inputs. A single [N, F] input reads --features, else the feature list recorded
with the model (registry tag "features", ONNX metadata "feature_names"), else every numeric column not
named by --keep, in file order. Output columns: kept columns, then each output: [N] -> its name,
[N, K] -> name_0..name_{K-1} or name_<class label>; scikit-learn ZipMap classifiers give label and
probability_<class>. float32 values are written as the shortest decimal that reads back to the same
float32. The output is written to a temporary file and renamed only when the run succeeds.
A Parquet output (*.parquet, or --output-format parquet) is typed: float32 outputs are FLOAT, int64
labels BIGINT, strings VARCHAR; a Parquet input's kept columns keep their types (from a CSV: VARCHAR).

Sharding: --shard i/n reads the i-th of n byte ranges of each file, starting at a row boundary; the n
outputs concatenated (one header) equal the single-process output. A Parquet file is split by whole
row groups (with fewer row groups than shards, some shards are empty: a header only). Without --shard,
Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX with --shards n), AWS Batch array jobs and Slurm arrays
set the shard.

Stdin: --input - reads CSV from stdin as it arrives (aws s3 cp s3://bucket/x.csv - | mlops ...),
in bounded memory as a file is. It needs --output FILE (written whole or not at all) or --output -
(stdout); --output-dir, --shard (or an array-job index) and other inputs beside it are refused.
Parquet cannot be piped (its schema is in a footer at the end of the file): save it to a file first.

Examples:
  $ mlops predict-batch model.onnx --input data.csv --output preds.csv --keep id
  $ mlops predict-batch fraud@production --input 'data/part-*.csv' --output-dir preds/
  $ mlops predict-batch model.onnx --input data.csv --output - --features f0,f1,f2 | head
  $ mlops predict-batch model.onnx --input data.csv --output preds.csv --on-error skip --rejects bad.csv --max-rejects 100
  $ mlops predict-batch model.onnx --input big.csv --output "preds-$JOB_COMPLETION_INDEX.csv" --shards 8
  $ aws s3 cp s3://bucket/today.csv - | mlops predict-batch model.onnx --input - --output preds.csv --keep id
  $ mlops predict-batch model.onnx --input data.parquet --output preds.parquet --keep id --compression snappy
`,
    )
    .action(
      commandAction({
        options: async ([model], c): Promise<PredictBatchOptions> => {
          const own = { ...readFlags(c, INPUT), ...readFlags(c, CLI_FLAGS) };
          const flags = readFlags(c, FLAGS);
          if (chosenFormat(c) === 'json' && flags.output === '-')
            throw new MlopsError(
              'OPTIONS_CONFLICT',
              '--json prints the summary on stdout, so predictions cannot go there too',
              { hint: 'write predictions to a file with --output' },
            );
          const { resolveShard } = await import('../predict/shard.js');
          const { expandInputs } = await import('../predict/inputs.js');
          return { model, ...flags, inputs: await expandInputs(own.input), shard: resolveShard(own.shard, own.shards) };
        },
        run: async (options, c) => {
          const { predictBatch } = await import('../predict/index.js');
          const { CLEAR_LINE, renderPredictProgress, renderPredictSummary, renderPredictWarning } = await import(
            '../report/predict.js'
          );
          const showProgress = readFlags(c, CLI_FLAGS).progress ?? Boolean(process.stderr.isTTY);
          let lastDraw = 0;
          const result = await predictBatch({
            ...options,
            onWarning: (message) => process.stderr.write(renderPredictWarning(phraseForCli(message), showProgress)),
            onProgress: showProgress
              ? (p) => {
                  // At most ten redraws a second: more would only flicker, and cost a write per chunk.
                  const now = Date.now();
                  if (now - lastDraw < 100) return;
                  lastDraw = now;
                  process.stderr.write(CLEAR_LINE + renderPredictProgress(p));
                }
              : undefined,
          });
          if (showProgress) process.stderr.write(CLEAR_LINE);
          process.stderr.write(renderPredictSummary(result));
          return result;
        },
        // The predictions are the output (a file, or stdout with --output -); the summary went to stderr.
        render: () => '',
      }),
    );
}

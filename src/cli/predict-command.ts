/** `mlops predict-batch`: declarations and progress display; the work is in src/predict/. */
import { Option, type Command } from 'commander';
import { ExitCode } from '../util/errors.js';
import { runCommand, type GlobalFlags } from './run.js';
import { collect, parseBatchSize, parseList, parseNonNegativeInt, parseOutputFile, parseOutputPath, parsePositiveInt } from './parsers.js';
import type { PredictBatchOptions } from '../predict/index.js';

/** Shared flags have the library's names; --input (globs), --shard (text) and display flags are the CLI's. */
type PredictFlags = Pick<PredictBatchOptions, 'output' | 'outputDir' | 'batchSize' | 'threads' | 'features' | 'ignore' | 'keep' | 'keepAll' | 'rejects' | 'maxRejects' | 'allowMissing' | 'registry'> & {
  input: string[];
  onError: 'fail' | 'skip';
  shard?: string;
  shards?: number;
  /** true: --progress, false: --no-progress, undefined: only on a terminal. */
  progress?: boolean;
  json?: boolean;
};

export function addPredictCommand(program: Command): void {
  program
    .command('predict-batch')
    .description('stream CSV rows through a model and write predictions as CSV (bounded memory, parallel parse and inference)')
    .argument('<model>', 'ONNX model file or registry reference (name, name@3, name@production)')
    .requiredOption('--input <path>', 'CSV file, folder of .csv files, or a glob like "data/part-*.csv" (repeatable)', collect)
    .option('--output <file>', 'output CSV (written whole or not at all), or - for stdout (streamed: a run that fails may have printed rows)', parseOutputPath)
    .option('--output-dir <dir>', 'one output per input, same file name', parseOutputFile)
    .option('--batch-size <n>', 'rows per inference call (default 4096)', parseBatchSize)
    .option('--threads <n>', 'onnxruntime intra-op threads (default: cores - 1; the main thread parses meanwhile; at most the core count)', parsePositiveInt)
    .option('--features <cols>', 'columns feeding a single [N, F] input, in order', parseList)
    .option('--ignore <cols>', 'columns that are not features (ids, labels); copied to the output unless --keep says otherwise', parseList)
    .option('--keep <cols>', 'input columns copied beside the predictions (default: the non-feature columns); they are not features either', parseList)
    .option('--keep-all', 'copy every input column')
    .addOption(new Option('--on-error <mode>', 'bad rows: fail (exit 2) or skip (set aside)').choices(['fail', 'skip']).default('fail'))
    .option('--rejects <file>', 'with --on-error skip: write rejected rows, their line and the reason here (a file, or /dev/stderr)', parseOutputFile)
    .option('--max-rejects <n>', 'with --on-error skip: fail (exit 1, no output) beyond this many rejected rows', parseNonNegativeInt)
    .option('--allow-missing', 'feed empty and NaN values as NaN instead of rejecting them')
    .option('--shard <i/n>', 'process the i-th (0-based) of n byte ranges of each input')
    .option('--shards <n>', 'number of shards when the index comes from JOB_COMPLETION_INDEX (Kubernetes Indexed Job)', parsePositiveInt)
    .option('--progress', 'progress line on stderr even when it is not a terminal')
    .option('--no-progress', 'no progress line on stderr (by default it shows only on a terminal)')
    .option('--registry <dir>', 'registry folder for references (default: $MLOPS_REGISTRY, else ./.mlops)')
    .option('--json', 'print a summary document on stdout')
    .addHelpText('after', `
Column mapping: a model with one input per column ([N, 1], as scikit-learn converters emit) reads the
columns named like its inputs. A single [N, F] input reads --features, else the feature list recorded
with the model (registry tag "features", ONNX metadata "feature_names"), else every numeric column not
named by --keep, in file order. Output columns: kept columns, then each output: [N] -> its name,
[N, K] -> name_0..name_{K-1} or name_<class label>; scikit-learn ZipMap classifiers give label and
probability_<class>. float32 values are written as the shortest decimal that reads back to the same
float32. The output is written to a temporary file and renamed only when the run succeeds.

Sharding: --shard i/n reads the i-th of n byte ranges of each file, starting at a row boundary; the n
outputs concatenated (one header) equal the single-process output. Without --shard, Kubernetes Indexed
Jobs (JOB_COMPLETION_INDEX with --shards n), AWS Batch array jobs and Slurm arrays set the shard.

Examples:
  $ mlops predict-batch model.onnx --input data.csv --output preds.csv --keep id
  $ mlops predict-batch fraud@production --input 'data/part-*.csv' --output-dir preds/
  $ mlops predict-batch model.onnx --input data.csv --output - --features f0,f1,f2 | head
  $ mlops predict-batch model.onnx --input data.csv --output preds.csv --on-error skip --rejects bad.csv --max-rejects 100
  $ mlops predict-batch model.onnx --input big.csv --output "preds-$JOB_COMPLETION_INDEX.csv" --shards 8
`)
    .action(async (model: string, flags: PredictFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalFlags>();
      await runCommand(globals, async () => {
        const { predictBatch, resolveShard } = await import('../predict/index.js');
        const { expandInputs } = await import('../predict/inputs.js');
        const { MlopsError } = await import('../util/errors.js');
        const { CLEAR_LINE, renderPredictProgress, renderPredictSummary, renderPredictWarning } = await import('../report/predict.js');
        if (flags.json && flags.output === '-') throw new MlopsError('USAGE', '--json prints the summary on stdout, so predictions cannot go there too', { hint: 'write predictions to a file with --output' });
        const shard = resolveShard(flags.shard, flags.shards);
        const showProgress = flags.progress ?? Boolean(process.stderr.isTTY);
        let lastDraw = 0;
        const result = await predictBatch({
          model,
          registry: flags.registry,
          inputs: await expandInputs(flags.input),
          output: flags.output,
          outputDir: flags.outputDir,
          batchSize: flags.batchSize,
          threads: flags.threads,
          features: flags.features,
          ignore: flags.ignore,
          keep: flags.keep,
          keepAll: flags.keepAll,
          onError: flags.onError,
          rejects: flags.rejects,
          maxRejects: flags.maxRejects,
          allowMissing: flags.allowMissing,
          shard,
          onWarning: (message) => process.stderr.write(renderPredictWarning(message, showProgress)),
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
        const stdout = flags.json ? (await import('../report/json.js')).renderJson(result) : '';
        return { stdout, exitCode: ExitCode.Ok };
      });
    });
}

/** `mlops quantize`: declarations only; the work is in src/quantize/. */
import type { Command } from 'commander';
import type { QuantizeOptions } from '../quantize/index.js';
import { numberInRange, parseBatchSize, parseList, parseOutputFile, parsePositiveInt } from './parsers.js';
import { addFlags, flagSet, readFlags, REGISTRY_FLAG } from './flags.js';
import { addFormatFlags } from './format.js';
import { INPUT_FORMAT_FLAG } from './input-format-flag.js';
import { commandAction } from './shape.js';
import { DEFAULT_BATCH_SIZE } from '../predict/types.js';

const parsePercentile = numberInRange(50, 100, { lowExclusive: true });

const FLAGS = flagSet<QuantizeOptions>()({
  output: {
    flag: '--output <file>',
    help: 'where to write the int8 model (never the input model, nor a file in the registry)',
    parse: parseOutputFile,
    required: true,
  },
  mode: {
    flag: '--mode <mode>',
    help: 'dynamic: int8 weights, activations at run time (MatMul, Gemm); static: QDQ with calibrated activations (MatMul, Gemm, Conv)',
    choices: ['dynamic', 'static'],
    default: 'dynamic',
  },
  calibration: { flag: '--calibration <path>', help: 'static mode: a CSV, or a folder of .pb/.npy tensors' },
  calibrationRows: {
    flag: '--calibration-rows <n>',
    help: 'rows of calibration data to use (default 1000)',
    parse: parsePositiveInt,
  },
  calibrate: {
    flag: '--calibrate <method>',
    help: 'static mode: activation ranges from min/max (default), or a percentile of the values',
    choices: ['minmax', 'percentile'],
  },
  percentile: {
    flag: '--percentile <p>',
    help: 'with --calibrate percentile: keep activations between percentiles 100-p and p, 50 < p <= 100 (default 99.999)',
    parse: parsePercentile,
  },
  perChannel: { flag: '--per-channel', help: 'one weight scale per output channel' },
  reduceRange: { flag: '--reduce-range', help: '7-bit ranges (for AVX2 CPUs without VNNI)' },
  ops: {
    flag: '--ops <types>',
    help: 'operator types to quantize (default MatMul,Gemm; static adds Conv)',
    parse: parseList,
  },
  // --exclude is the old spelling, kept for scripts (it clashed with drift's column --exclude, now --ignore).
  exclude: {
    flag: '--exclude-nodes <nodes>',
    help: 'node names to leave in float',
    parse: parseList,
    alias: '--exclude <nodes>',
  },
  minElements: {
    flag: '--min-elements <n>',
    help: 'leave weights with fewer elements in float',
    parse: parsePositiveInt,
  },
  validate: {
    flag: '--validate <path>',
    help: 'compare float and int8 on this CSV or tensor folder: differences, argmax agreement, latency',
  },
  validationRows: {
    flag: '--validation-rows <n>',
    help: 'rows of validation data (default 5000)',
    parse: parsePositiveInt,
  },
  batchSize: {
    flag: '--batch-size <n>',
    help: `validation rows per inference call, as predict-batch --batch-size (default ${DEFAULT_BATCH_SIZE})`,
    parse: parseBatchSize,
  },
  features: {
    flag: '--features <cols>',
    help: 'CSV columns feeding a single [N, F] input, in order',
    parse: parseList,
  },
  ignore: { flag: '--ignore <cols>', help: 'CSV columns that are not features (ids, labels)', parse: parseList },
  register: {
    flag: '--register <name>',
    help: 'register the result as a new version, parent = the source version, validation figures as metrics',
  },
  threads: { flag: '--threads <n>', help: 'onnxruntime intra-op threads', parse: parsePositiveInt },
  registry: REGISTRY_FLAG,
  inputFormat: INPUT_FORMAT_FLAG,
});

export function addQuantizeCommand(program: Command): void {
  const cmd = program
    .command('quantize')
    .description('int8 quantization (dynamic, or static QDQ with calibration) with an accuracy and speed report')
    .argument('<model>', 'ONNX model file or registry reference');
  addFlags(cmd, FLAGS);
  addFormatFlags(cmd, ['table', 'json'], { json: 'print the full report as JSON (same as --format json)' })
    .addHelpText(
      'after',
      `
Formulas are onnxruntime's (round half to even, zero representable, int8 weights symmetric in
[-127, 127], uint8 activations, reduce-range 7-bit), so weights compare element for element with
onnxruntime.quantization. Conv stays in float in dynamic mode (ConvInteger is slow on CPU) unless
--ops names it. The output is loaded and run in onnxruntime before anything is written, and written
atomically; everything not quantized is kept as it was. Float and int8 run on the same rows (--validate,
else calibration data, else synthesized inputs): NaN/Inf where the float model is finite stops the run
(exit 1, nothing written or registered). Dynamic int8 quantizes activations per inference call, so its
outputs depend on the batching: validation runs in calls of --batch-size rows (predict-batch's ${DEFAULT_BATCH_SIZE}) and
reports the "batch spread" against one row at a time.

Examples:
  $ mlops quantize model.onnx --output model.int8.onnx --validate holdout.csv --ignore id,label
  $ mlops quantize cnn.onnx --output cnn.int8.onnx --mode static --calibration calib/ --per-channel
  $ mlops quantize fraud@3 --output fraud.int8.onnx --validate holdout.csv --register fraud-int8
`,
    )
    .action(
      commandAction({
        options: ([model], c): QuantizeOptions => ({ model, ...readFlags(c, FLAGS) }),
        run: async (options) => (await import('../quantize/index.js')).quantizeModel(options),
        render: async (result, { render }) => (await import('../report/quantize.js')).renderQuantize(result, render),
      }),
    );
}

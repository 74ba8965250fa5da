/** `mlops quantize`: declarations only; the work is in src/quantize/. */
import { Option, type Command } from 'commander';
import { ExitCode } from '../util/errors.js';
import { renderOptions, runCommand, type GlobalFlags } from './run.js';
import { numberInRange, oneSpelling, parseBatchSize, parseList, parseOutputFile, parsePositiveInt } from './parsers.js';
import type { QuantizeOptions } from '../quantize/index.js';

const parsePercentile = numberInRange(50, 100, { lowExclusive: true });

/** The flags are the library's options (commander camel-cases them to the same names). */
type QuantizeFlags = Omit<QuantizeOptions, 'model'> & { json?: boolean; excludeNodes?: string[] };

export function addQuantizeCommand(program: Command): void {
  program
    .command('quantize')
    .description('int8 quantization (dynamic, or static QDQ with calibration) with an accuracy and speed report')
    .argument('<model>', 'ONNX model file or registry reference')
    .requiredOption('--output <file>', 'where to write the int8 model (never the input model, nor a file in the registry)', parseOutputFile)
    .addOption(new Option('--mode <mode>', 'dynamic: int8 weights, activations at run time (MatMul, Gemm); static: QDQ with calibrated activations (MatMul, Gemm, Conv)').choices(['dynamic', 'static']).default('dynamic'))
    .option('--calibration <path>', 'static mode: a CSV, or a folder of .pb/.npy tensors')
    .option('--calibration-rows <n>', 'rows of calibration data to use (default 1000)', parsePositiveInt)
    .addOption(new Option('--calibrate <method>', 'static mode: activation ranges from min/max (default), or a percentile of the values').choices(['minmax', 'percentile']))
    .option('--percentile <p>', 'with --calibrate percentile: keep activations between percentiles 100-p and p, 50 < p <= 100 (default 99.999)', parsePercentile)
    .option('--per-channel', 'one weight scale per output channel')
    .option('--reduce-range', '7-bit ranges (for AVX2 CPUs without VNNI)')
    .option('--ops <types>', 'operator types to quantize (default MatMul,Gemm; static adds Conv)', parseList)
    .option('--exclude-nodes <nodes>', 'node names to leave in float', parseList)
    // The old spelling, kept for scripts (it clashed with drift's column --exclude, now --ignore).
    .addOption(new Option('--exclude <nodes>').argParser(parseList).hideHelp())
    .option('--min-elements <n>', 'leave weights with fewer elements in float', parsePositiveInt)
    .option('--validate <path>', 'compare float and int8 on this CSV or tensor folder: differences, argmax agreement, latency')
    .option('--validation-rows <n>', 'rows of validation data (default 5000)', parsePositiveInt)
    .option('--batch-size <n>', 'validation rows per inference call, as predict-batch --batch-size (default 4096)', parseBatchSize)
    .option('--features <cols>', 'CSV columns feeding a single [N, F] input, in order', parseList)
    .option('--ignore <cols>', 'CSV columns that are not features (ids, labels)', parseList)
    .option('--register <name>', 'register the result as a new version, parent = the source version, validation figures as metrics')
    .option('--threads <n>', 'onnxruntime intra-op threads', parsePositiveInt)
    .option('--registry <dir>', 'registry folder (default: $MLOPS_REGISTRY, else ./.mlops)')
    .option('--json', 'print the full report as JSON')
    .addHelpText('after', `
Formulas are onnxruntime's (round half to even, zero representable, int8 weights symmetric in
[-127, 127], uint8 activations, reduce-range 7-bit), so weights compare element for element with
onnxruntime.quantization. Conv stays in float in dynamic mode (ConvInteger is slow on CPU) unless
--ops names it. The output is loaded and run in onnxruntime before anything is written, and written
atomically; everything not quantized is kept as it was. Float and int8 run on the same rows (--validate,
else calibration data, else synthesized inputs): NaN/Inf where the float model is finite stops the run
(exit 1, nothing written or registered). Dynamic int8 quantizes activations per inference call, so its
outputs depend on the batching: validation runs in calls of --batch-size rows (predict-batch's 4096) and
reports the "batch spread" against one row at a time.

Examples:
  $ mlops quantize model.onnx --output model.int8.onnx --validate holdout.csv --ignore id,label
  $ mlops quantize cnn.onnx --output cnn.int8.onnx --mode static --calibration calib/ --per-channel
  $ mlops quantize fraud@3 --output fraud.int8.onnx --validate holdout.csv --register fraud-int8
`)
    .action(async (model: string, flags: QuantizeFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalFlags>();
      await runCommand(globals, async () => {
        const { quantizeModel } = await import('../quantize/index.js');
        const { json: _json, excludeNodes, ...options } = flags;
        options.exclude = oneSpelling(excludeNodes, options.exclude, '--exclude-nodes', '--exclude');
        const result = await quantizeModel({ model, ...options });
        if (flags.json) return { stdout: (await import('../report/json.js')).renderJson(result), exitCode: ExitCode.Ok };
        return { stdout: (await import('../report/quantize.js')).renderQuantize(result, renderOptions(globals)), exitCode: ExitCode.Ok };
      });
    });
}

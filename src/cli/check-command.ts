/** `mlops check`: declarations only; the work is in src/check/. */
import { Option, type Command } from 'commander';
import { ExitCode } from '../util/errors.js';
import { renderOptions, runCommand, type GlobalFlags } from './run.js';
import { examples, oneSpelling, parseBatchSize, parseKeyInt, parseList, parseNonNegative, parsePositiveInt } from './parsers.js';

export function addCheckCommand(program: Command): void {
  program
    .command('check')
    .description('check an exported model: structure (like onnx.checker), runtime pitfalls, load and run in onnxruntime, parity with the source framework')
    .argument('[model]', 'ONNX model file or registry reference (optional when --test-data holds model.onnx)')
    .option('--registry <dir>', 'registry folder for references (default: $MLOPS_REGISTRY, else ./.mlops)')
    .option('--test-data <dir>', 'ONNX test-data folder: test_data_set_N/input_K.pb and output_K.pb')
    .option('--input <csv>', 'tabular parity: input rows (one column per feature, header row)')
    .option('--expected <csv>', "tabular parity: the source framework's outputs for those rows, in output order")
    .option('--features <cols>', 'columns feeding a single 2-D input, in order (comma-separated)', parseList)
    .option('--ignore <cols>', 'columns of --input that are not features (ids, labels)', parseList)
    .option('--rtol <x>', 'relative tolerance', parseNonNegative, 1e-3)
    .option('--atol <x>', 'absolute tolerance', parseNonNegative, 1e-5)
    .option('--dim <name=size>', 'size of a named symbolic dim for the synthesized run (repeatable)', parseKeyInt)
    .option('--batch-size <n>', 'size tried for symbolic dims after 1 (default 7)', parseBatchSize)
    // The old spelling, kept for scripts: every other command says --batch-size.
    .addOption(new Option('--batch <n>').argParser(parseBatchSize).hideHelp())
    .addOption(new Option('--threads <n>', 'onnxruntime intra-op threads').argParser(parsePositiveInt))
    .option('--json', 'print the full report as JSON')
    .addHelpText('after', `
Parity rule: an element matches when |actual - expected| <= atol + rtol * |expected|
(numpy.isclose with the expected value as reference); NaN matches NaN; integer and
string outputs must be equal. Exit 0 when every check passes (warnings allowed),
1 when one fails, 2 when the model or the data cannot be read.
${examples([
  'mlops check model.onnx',
  'mlops check model.onnx --test-data tests/model/',
  'mlops check --test-data tests/model/            # folder holding model.onnx',
  'mlops check model.onnx --input rows.csv --expected torch_outputs.csv --ignore id',
  'mlops check model.onnx --json | jq .problems',
])}`)
    .action(async (model: string | undefined, flags: CheckFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalFlags>();
      await runCommand(globals, async () => {
        const { checkModel } = await import('../check/index.js');
        const result = await checkModel({
          model,
          registry: flags.registry,
          testData: flags.testData,
          input: flags.input,
          expected: flags.expected,
          features: flags.features,
          ignore: flags.ignore,
          rtol: flags.rtol,
          atol: flags.atol,
          dims: flags.dim,
          batch: oneBatchSize(flags),
          threads: flags.threads,
        });
        const exitCode = result.passed ? ExitCode.Ok : ExitCode.Failure;
        if (flags.json) return { stdout: (await import('../report/json.js')).renderJson(result), exitCode };
        return { stdout: (await import('../report/check.js')).renderCheck(result, renderOptions(globals)), exitCode };
      });
    });
}

interface CheckFlags {
  json?: boolean;
  registry?: string;
  testData?: string;
  input?: string;
  expected?: string;
  features?: string[];
  ignore?: string[];
  rtol: number;
  atol: number;
  dim?: Record<string, number>;
  batch?: number;
  batchSize?: number;
  threads?: number;
}

function oneBatchSize(flags: CheckFlags): number {
  return oneSpelling(flags.batchSize, flags.batch, '--batch-size', '--batch') ?? 7;
}

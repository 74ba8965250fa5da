/** `mlops check`: declarations only; the work is in src/check/. */
import type { Command } from 'commander';
import { ExitCode } from '../util/errors.js';
import type { CheckOptions } from '../check/index.js';
import { examples, parseBatchSize, parseKeyInt, parseList, parseNonNegative, parsePositiveInt } from './parsers.js';
import { addFlags, flagSet, readFlags, REGISTRY_FLAG } from './flags.js';
import { addFormatFlags } from './format.js';
import { INPUT_FORMAT_FLAG } from './input-format-flag.js';
import { commandAction } from './shape.js';

const FLAGS = flagSet<CheckOptions>()({
  registry: REGISTRY_FLAG,
  testData: { flag: '--test-data <dir>', help: 'ONNX test-data folder: test_data_set_N/input_K.pb and output_K.pb' },
  input: { flag: '--input <csv>', help: 'tabular parity: input rows (one column per feature, header row)' },
  expected: {
    flag: '--expected <csv>',
    help: "tabular parity: the source framework's outputs for those rows, in output order",
  },
  inputFormat: INPUT_FORMAT_FLAG,
  features: {
    flag: '--features <cols>',
    help: 'columns feeding a single 2-D input, in order (comma-separated)',
    parse: parseList,
  },
  ignore: { flag: '--ignore <cols>', help: 'columns of --input that are not features (ids, labels)', parse: parseList },
  allowMissing: {
    flag: '--allow-missing',
    help: 'feed empty and NaN values of --input as NaN instead of refusing them (as predict-batch)',
  },
  rtol: { flag: '--rtol <x>', help: 'relative tolerance', parse: parseNonNegative, default: 1e-3 },
  atol: { flag: '--atol <x>', help: 'absolute tolerance', parse: parseNonNegative, default: 1e-5 },
  dims: {
    flag: '--dim <name=size>',
    help: 'size of a named symbolic dim for the synthesized run (repeatable)',
    parse: parseKeyInt,
  },
  // Rows per model call, as in every command; --batch is the old spelling, kept for scripts.
  // No flag default: the two runs have different ones, and the library applies them.
  batchSize: {
    flag: '--batch-size <n>',
    help: 'rows per model call: the synthesized run tries it for symbolic dims after 1 (default 7), --input/--expected parity runs in calls of this many rows (default 8,192)',
    parse: parseBatchSize,
    alias: '--batch <n>',
  },
  threads: { flag: '--threads <n>', help: 'onnxruntime intra-op threads', parse: parsePositiveInt },
});

export function addCheckCommand(program: Command): void {
  const cmd = program
    .command('check')
    .description(
      'check an exported model: structure (like onnx.checker), runtime pitfalls, load and run in onnxruntime, parity with the source framework',
    )
    .argument('[model]', 'ONNX model file or registry reference (optional when --test-data holds model.onnx)');
  addFlags(cmd, FLAGS);
  addFormatFlags(cmd, ['table', 'json'], { json: 'print the full report as JSON (same as --format json)' })
    .addHelpText(
      'after',
      `
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
])}`,
    )
    .action(
      commandAction({
        options: ([model], c): CheckOptions => ({ model, ...readFlags(c, FLAGS) }),
        run: async (options) => (await import('../check/index.js')).checkModel(options),
        render: async (result, { render }) => (await import('../report/check.js')).renderCheck(result, render),
        exitCode: (result) => (result.passed ? ExitCode.Ok : ExitCode.Failure),
      }),
    );
}

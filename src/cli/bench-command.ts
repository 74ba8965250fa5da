/** `mlops bench`: declarations only; the work is in src/benchmark/. */
import type { Command } from 'commander';
import type { BenchOptions } from '../benchmark/index.js';
import {
  examples,
  parseBatchSize,
  parseList,
  parseNonNegative,
  parseNonNegativeInt,
  parsePositiveInt,
} from './parsers.js';
import { addFlags, flagSet, readFlags, REGISTRY_FLAG } from './flags.js';
import { addFormatFlags } from './format.js';
import { INPUT_FORMAT_FLAG } from './input-format-flag.js';
import { commandAction } from './shape.js';

function parseBatchSizes(value: string): number[] {
  return value.split(',').map((v) => parseBatchSize(v.trim()));
}

const FLAGS = flagSet<BenchOptions>()({
  input: { flag: '--input <csv>', help: 'rows to feed (repeated to fill a batch); synthesized inputs otherwise' },
  features: { flag: '--features <cols>', help: 'CSV columns feeding a single [N, F] input', parse: parseList },
  ignore: { flag: '--ignore <cols>', help: 'CSV columns that are not features', parse: parseList },
  batchSizes: {
    flag: '--batch-size <list>',
    help: 'batch sizes, comma-separated',
    parse: parseBatchSizes,
    default: [1, 32, 256],
  },
  warmup: { flag: '--warmup <n>', help: 'untimed runs first', parse: parseNonNegativeInt, default: 5 },
  iterations: { flag: '--iterations <n>', help: 'timed runs per batch size', parse: parsePositiveInt, default: 50 },
  duration: {
    flag: '--duration <seconds>',
    help: 'run each batch size for this long instead',
    parse: parseNonNegative,
  },
  threads: { flag: '--threads <n>', help: 'onnxruntime intra-op threads', parse: parsePositiveInt },
  registry: REGISTRY_FLAG,
  inputFormat: INPUT_FORMAT_FLAG,
});

export function addBenchCommand(program: Command): void {
  const cmd = program
    .command('bench')
    .description('latency (p50/p95/p99, mean) and throughput of a model per batch size')
    .argument('<model>', 'ONNX model file or registry reference');
  addFlags(cmd, FLAGS);
  addFormatFlags(cmd, ['table', 'json'], { json: 'print the figures as JSON (same as --format json)' })
    .addHelpText(
      'after',
      examples([
        'mlops bench model.onnx --batch-size 1,32,256',
        'mlops bench fraud@staging --input holdout.csv --ignore id,label --duration 5 --json',
      ]),
    )
    .action(
      commandAction({
        options: ([model], c): BenchOptions => ({ model, ...readFlags(c, FLAGS) }),
        run: async (options) =>
          (await import('../benchmark/index.js')).benchModel({
            ...options,
            onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
          }),
        render: async (result, { render }) => (await import('../report/bench.js')).renderBench(result, render),
      }),
    );
}

/** `mlops bench`: declarations only; the work is in src/benchmark/. */
import type { Command } from 'commander';
import { ExitCode } from '../util/errors.js';
import { renderOptions, runCommand, type GlobalFlags } from './run.js';
import { parseBatchSize, parseList, parseNonNegative, parseNonNegativeInt, parsePositiveInt } from './parsers.js';

function parseBatchSizes(value: string): number[] {
  return value.split(',').map((v) => parseBatchSize(v.trim()));
}

export function addBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('latency (p50/p95/p99, mean) and throughput of a model per batch size')
    .argument('<model>', 'ONNX model file or registry reference')
    .option('--input <csv>', 'rows to feed (repeated to fill a batch); synthesized inputs otherwise')
    .option('--features <cols>', 'CSV columns feeding a single [N, F] input', parseList)
    .option('--ignore <cols>', 'CSV columns that are not features', parseList)
    .option('--batch-size <list>', 'batch sizes, comma-separated', parseBatchSizes, [1, 32, 256])
    .option('--warmup <n>', 'untimed runs first', parseNonNegativeInt, 5)
    .option('--iterations <n>', 'timed runs per batch size', parsePositiveInt, 50)
    .option('--duration <seconds>', 'run each batch size for this long instead', parseNonNegative)
    .option('--threads <n>', 'onnxruntime intra-op threads', parsePositiveInt)
    .option('--registry <dir>', 'registry folder (default: $MLOPS_REGISTRY, else ./.mlops)')
    .option('--json', 'print the figures as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlops bench model.onnx --batch-size 1,32,256\n  $ mlops bench fraud@staging --input holdout.csv --ignore id,label --duration 5 --json\n')
    .action(async (model: string, f: { input?: string; features?: string[]; ignore?: string[]; batchSize: number[]; warmup: number; iterations: number; duration?: number; threads?: number; registry?: string; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalFlags>();
      await runCommand(globals, async () => {
        const { benchModel } = await import('../benchmark/index.js');
        const result = await benchModel({ model, registry: f.registry, input: f.input, features: f.features, ignore: f.ignore, batchSizes: f.batchSize, warmup: f.warmup, iterations: f.iterations, duration: f.duration, threads: f.threads, onWarning: (message) => process.stderr.write(`warning: ${message}\n`) });
        if (f.json) return { stdout: (await import('../report/json.js')).renderJson(result), exitCode: ExitCode.Ok };
        return { stdout: (await import('../report/bench.js')).renderBench(result, renderOptions(globals)), exitCode: ExitCode.Ok };
      });
    });
}

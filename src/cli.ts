/**
 * The command-line layer: declares commands and options, turns flags into
 * options objects, lazily imports the capability, renders, sets the exit code.
 * No business logic here.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, MlopsError } from './util/errors.js';
import { removeLiveTemps } from './util/fs-atomic.js';
import { noteStdoutClosed, renderOptions, reportError, reportStdoutFailure, runCommand, writeJsonError, type GlobalFlags } from './cli/run.js';
import { examples, parseBatchSize, parseKeyInt, parseList, parseNonNegative, parsePositiveInt } from './cli/parsers.js';
import { addRegistryCommands } from './cli/registry-commands.js';
import { addPredictCommand } from './cli/predict-command.js';
import { addQuantizeCommand } from './cli/quantize-command.js';
import { addDriftCommand } from './cli/drift-command.js';
import { addBenchCommand, addChecklistCommand } from './cli/checklist-commands.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const EXIT_CODES_HELP = `
Exit codes: 0 ok, 1 the command ran and found a failure, 2 usage or input error, 3 internal error.
Set NO_COLOR=1 to disable colours; --json prints one JSON document (with "version": 1) on stdout.`;

export function buildProgram(): Command {
  const program = new Command('mlops')
    .description('MLOps toolkit for ONNX models: conversion checks, registry, batch prediction, quantization, drift, deployment checklists.')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'show stack traces for errors')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();

  program
    .command('inspect')
    .description('summarize a model: IR version, opsets, inputs and outputs, operators, parameters, size, sha256, metadata')
    .argument('<model>', 'ONNX model file or registry reference (name, name@3, name@production)')
    .option('--registry <dir>', 'registry folder for references (default: $MLOPS_REGISTRY, else ./.mlops)')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', examples(['mlops inspect model.onnx', 'mlops inspect model.onnx --json | jq .inputs']))
    .action(async (model: string, flags: { json?: boolean; registry?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalFlags>();
      await runCommand(globals, async () => {
        const { inspectModel } = await import('./check/inspect.js');
        const result = await inspectModel({ model, registry: flags.registry });
        if (flags.json) return { stdout: (await import('./report/json.js')).renderJson(result), exitCode: ExitCode.Ok };
        return { stdout: (await import('./report/inspect.js')).renderInspect(result, renderOptions(globals)), exitCode: ExitCode.Ok };
      });
    });

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
        const { checkModel } = await import('./check/index.js');
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
        if (flags.json) return { stdout: (await import('./report/json.js')).renderJson(result), exitCode };
        return { stdout: (await import('./report/check.js')).renderCheck(result, renderOptions(globals)), exitCode };
      });
    });

  addPredictCommand(program);
  addQuantizeCommand(program);
  addDriftCommand(program);
  addBenchCommand(program);
  addChecklistCommand(program);
  addRegistryCommands(program);
  return program;
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
  if (flags.batch !== undefined && flags.batchSize !== undefined) throw new MlopsError('USAGE', '--batch-size and --batch are the same flag (--batch is its old spelling): give it once');
  return flags.batchSize ?? flags.batch ?? 7;
}

export async function main(argv: string[]): Promise<void> {
  // `mlops registry list | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // Not process.exit(): that would tear down onnxruntime's worker mid-run, which aborts the process
    // (exit 134). A streaming command sees the same error, stops and cleans up; the exit code stays 0.
    if (err.code === 'EPIPE') return noteStdoutClosed(err);
    // Anything else (stdout on a full disk): say so once, exit 2; predict-batch's sink also stops the run.
    process.exitCode = reportStdoutFailure(err);
  });
  // Ctrl-C or a scheduler's SIGTERM: leave no half-written output behind, exit as a shell expects.
  // Any other way out (an internal error, an exception) also leaves no temporary file behind.
  process.once('exit', removeLiveTemps);
  // Not SIGHUP: a handler would override nohup's "ignore", and a nohup'd run would die with the terminal.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removeLiveTemps();
      process.stderr.write(`\ninterrupted (${signal}): unfinished output files were removed\n`);
      // Die by the signal itself (exit status 128 + n): process.exit() would tear down
      // onnxruntime's worker mid-run, which aborts the process.
      process.kill(process.pid, signal);
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is a usage error.
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code);
      process.exitCode = ok ? ExitCode.Ok : ExitCode.Usage;
      if (!ok && argv.includes('--json')) writeJsonError('USAGE', err.message.replace(/^error: /, ''), 'see --help', ExitCode.Usage);
      return;
    }
    process.exitCode = reportError(err, { debug: argv.includes('--debug'), json: argv.includes('--json') });
  }
}

/**
 * The command-line layer: declares commands and options, turns flags into
 * options objects, lazily imports the capability, renders, sets the exit code.
 * No business logic here.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode, type ErrorCode } from './util/errors.js';
import { removeLiveTemps } from './util/fs-atomic.js';
import { noteStdoutClosed, reportError, reportStdoutFailure, writeJsonError } from './cli/run.js';
import { argvWantsJson } from './cli/format.js';
import { noteRunningCommand } from './cli/option-flags.js';
import { interruptTaken } from './cli/interrupt.js';
import { addRegistryCommands } from './cli/registry-commands.js';
import { addServeCommand } from './cli/serve-command.js';
import { addPredictCommand } from './cli/predict-command.js';
import { addQuantizeCommand } from './cli/quantize-command.js';
import { addDriftCommand } from './cli/drift-command.js';
import { addChecklistCommand } from './cli/checklist-commands.js';
import { addBenchCommand } from './cli/bench-command.js';
import { addInspectCommand } from './cli/inspect-command.js';
import { addCheckCommand } from './cli/check-command.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const EXIT_CODES_HELP = `
Exit codes: 0 ok, 1 the command ran and found a failure, 2 usage or input error, 3 internal error.
Set NO_COLOR=1 to disable colours. --format chooses the output (table, json, and per command markdown,
junit or html); --json is --format json: one JSON document (with "version": 1) on stdout. Tables are
boxed on a terminal and plain aligned columns in a pipe or a log.`;

export function buildProgram(): Command {
  const program = new Command('mlops')
    .description(
      'MLOps toolkit for ONNX models: conversion checks, registry, batch prediction, quantization, drift, deployment checklists.',
    )
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'show stack traces for errors')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    // Errors are phrased in the flags of the command that ran (cli/option-flags.ts).
    .hook('preAction', (_program, action) => noteRunningCommand(action));

  addInspectCommand(program);
  addCheckCommand(program);
  addPredictCommand(program);
  addQuantizeCommand(program);
  addDriftCommand(program);
  addBenchCommand(program);
  addChecklistCommand(program);
  addRegistryCommands(program);
  addServeCommand(program);
  return program;
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
      if (interruptTaken(signal)) return;
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
      if (!ok && argvWantsJson(argv))
        writeJsonError(commanderCode(err.code), err.message.replace(/^error: /, ''), 'see --help', ExitCode.Usage);
      return;
    }
    process.exitCode = reportError(err, { debug: argv.includes('--debug'), json: argvWantsJson(argv) });
  }
}

/** The catalogue code of a command-line error commander found: the same code the library gives for the same mistake. */
function commanderCode(code: string): ErrorCode {
  if (code === 'commander.invalidArgument') return 'OPTION_INVALID';
  if (code === 'commander.missingMandatoryOptionValue' || code === 'commander.optionMissingArgument')
    return 'OPTION_MISSING';
  if (code === 'commander.conflictingOption') return 'OPTIONS_CONFLICT';
  return 'USAGE';
}

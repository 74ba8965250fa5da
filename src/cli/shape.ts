/**
 * One command shape: flags -> the library's options -> run the library function -> render for the
 * chosen format -> exit code. Every command's action is `commandAction({ options, run, render, exitCode })`;
 * --json (--format json) renders the result as the same versioned document for every command.
 */
import { phraseForCli } from './option-flags.js';
import type { Command } from 'commander';
import { ExitCode, type ExitCodeValue } from '../util/errors.js';
import type { RenderOptions } from '../report/style.js';
import { renderOptions, runCommand, type GlobalFlags } from './run.js';
import { chosenFormat, type Format } from './format.js';

export interface CommandShape<O, R extends object> {
  /** The library's options from the command's arguments and flags (validation at the edge, no work). */
  options: (args: string[], cmd: Command) => O | Promise<O>;
  /** The library call (lazily imported, so --help does not load onnxruntime). */
  run: (options: O, cmd: Command) => Promise<R>;
  /** Text for stdout in a format other than json. */
  render: (
    result: R,
    how: { format: Format; render: RenderOptions; options: O; cmd: Command },
  ) => string | Promise<string>;
  /** Where the rendered text goes: by default stdout; returns what is left for stdout (checklist --output). */
  write?: (text: string, result: R, cmd: Command) => Promise<string>;
  /** Default: 0. */
  exitCode?: (result: R, options: O, cmd: Command) => ExitCodeValue;
}

/** Set by captureOptions: the action records the options object instead of running the library. */
let capture: { options?: unknown; format?: Format } | undefined;

export function commandAction<O, R extends object>(shape: CommandShape<O, R>): (...args: unknown[]) => Promise<void> {
  return async (...all: unknown[]) => {
    const cmd = all.at(-1) as Command;
    const args = all.slice(0, -2) as string[];
    if (capture) {
      capture.format = chosenFormat(cmd);
      capture.options = await shape.options(args, cmd);
      return;
    }
    const globals = cmd.optsWithGlobals<GlobalFlags & { format?: string }>();
    // --format json promises a JSON document on stdout, failures included, as --json does.
    const flags: GlobalFlags = { debug: globals.debug, json: Boolean(globals.json) || globals.format === 'json' };
    await runCommand(flags, async () => {
      const format = chosenFormat(cmd);
      const options = await shape.options(args, cmd);
      const result = phraseWarnings(await shape.run(options, cmd));
      const stdout =
        format === 'json'
          ? (await import('../report/json.js')).renderJson(result)
          : await shape.render(result, { format, render: renderOptions(flags), options, cmd });
      const exitCode = shape.exitCode?.(result, options, cmd) ?? ExitCode.Ok;
      return { stdout: shape.write ? await shape.write(stdout, result, cmd) : stdout, exitCode };
    });
  };
}

/**
 * Flag parsing tested apart from the work (as the GitHub CLI does): parse a command line and return
 * the options object the command would pass to its library function, and the chosen format, without
 * running anything. A usage error is thrown (commander's CommanderError or an MlopsError).
 */
export async function captureOptions(
  program: Command,
  args: string[],
): Promise<{ options: unknown; format: Format | undefined }> {
  const silence = (cmd: Command): void => {
    cmd.configureOutput({ writeErr: () => {}, writeOut: () => {} });
    cmd.commands.forEach(silence);
  };
  silence(program);
  capture = {};
  try {
    await program.parseAsync(args, { from: 'user' });
    return { options: capture.options, format: capture.format };
  } finally {
    capture = undefined;
  }
}

/** Library warnings name options (`threads`); what the CLI prints, in any format, names the flags. */
function phraseWarnings<R>(result: R): R {
  const warnings = (result as { warnings?: unknown } | undefined)?.warnings;
  if (Array.isArray(warnings))
    (result as { warnings: unknown[] }).warnings = warnings.map((w) => (typeof w === 'string' ? phraseForCli(w) : w));
  return result;
}

/** The single place that writes results, prints errors and sets the exit code. */
import { ExitCode, isMlopsError, type ErrorCode, type ExitCodeValue } from '../util/errors.js';
import { colorEnabled, type RenderOptions } from '../report/style.js';
import { JSON_SCHEMA_VERSION } from '../report/json.js';
import { outputWriteError } from '../util/fs-atomic.js';
import { phraseForCli } from './option-flags.js';

export interface CommandOutput {
  /** Written to stdout as is. */
  stdout: string;
  exitCode: ExitCodeValue;
}

export interface GlobalFlags {
  debug?: boolean;
  json?: boolean;
}

/** Decided here, at the CLI layer, so renderers stay pure: colour and boxes only for a terminal. */
export function renderOptions(flags: GlobalFlags): RenderOptions {
  return { color: !flags.json && colorEnabled(process.stdout), terminal: Boolean(process.stdout.isTTY) };
}

export async function runCommand(flags: GlobalFlags, handler: () => Promise<CommandOutput>): Promise<void> {
  try {
    const { stdout, exitCode } = await handler();
    if (stdout && !stdoutClosed) process.stdout.write(stdout.endsWith('\n') ? stdout : stdout + '\n');
    process.exitCode = exitCode;
  } catch (err) {
    process.exitCode = reportError(err, flags);
  }
}

/** The stdout failure already told to the user: a command that then fails on it stays quiet. */
let stdoutFailure: Error | undefined;

/** stdout cannot be written (a full disk): said once however many writers notice it. */
export function reportStdoutFailure(err: Error): ExitCodeValue {
  if (!stdoutFailure) {
    const failure = outputWriteError('stdout', err);
    process.stderr.write(`error: ${failure.message}\n`);
    stdoutFailure = err;
  }
  return ExitCode.Usage;
}

/** The reader of stdout went away (`mlops ... | head`): not an error, as for any Unix filter. */
let stdoutClosed = false;
export function noteStdoutClosed(err: Error): void {
  stdoutFailure ??= err;
  stdoutClosed = true;
}

export function reportError(err: unknown, flags: GlobalFlags): ExitCodeValue {
  const color = colorEnabled(process.stderr);
  const label = color ? '\u001b[31merror\u001b[0m' : 'error';
  if (isMlopsError(err) && stdoutFailure && err.cause === stdoutFailure)
    return stdoutClosed ? ExitCode.Ok : err.exitCode;
  if (isMlopsError(err) && err.code === 'OUTPUT_READER_GONE') return ExitCode.Ok;
  if (isMlopsError(err)) {
    // Libraries name options (`allowMissing`); the user typed flags (--allow-missing).
    const message = phraseForCli(err.message);
    const hint = err.hint === undefined ? undefined : phraseForCli(err.hint);
    process.stderr.write(`${label}: ${message}\n`);
    if (hint) process.stderr.write(`hint: ${hint}\n`);
    if (flags.debug)
      process.stderr.write(
        `${err.stack ?? ''}\n${err.cause instanceof Error ? `caused by: ${err.cause.stack}\n` : ''}`,
      );
    if (flags.json) writeJsonError(err.code, message, hint, err.exitCode);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${label}: internal error: ${message}\n`);
  process.stderr.write(`${err instanceof Error ? err.stack : ''}\n`);
  process.stderr.write('hint: this is a bug in mlops; please report it with the command you ran\n');
  if (flags.json)
    writeJsonError(
      'INTERNAL',
      message,
      'this is a bug in mlops; please report it with the command you ran',
      ExitCode.Internal,
    );
  return ExitCode.Internal;
}

/** With --json, a failed command still prints one document, so scripts can always parse stdout. */
export function writeJsonError(
  code: ErrorCode,
  message: string,
  hint: string | undefined,
  exitCode: ExitCodeValue,
): void {
  process.stdout.write(
    JSON.stringify(
      {
        version: JSON_SCHEMA_VERSION,
        ok: false,
        error: { code, message, ...(hint ? { hint } : {}), exit_code: exitCode },
      },
      null,
      2,
    ) + '\n',
  );
}

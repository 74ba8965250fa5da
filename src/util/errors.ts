import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

/** Exit codes shared by every command. */
export const ExitCode = {
  Ok: 0,
  /** The command ran and found a failure (check mismatch, drift, checklist failed). */
  Failure: 1,
  /** Usage or input error: the user can fix it. */
  Usage: 2,
  /** A bug or an unexpected environment problem. */
  Internal: 3,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface MlopsErrorOptions {
  hint?: string;
  cause?: unknown;
}

/**
 * The one error type for problems a user can act on. The CLI prints
 * `error: <message>` and `hint: <hint>` without a stack (unless --debug).
 * Anything that is not an MlopsError is treated as an internal error.
 * The code must be in the catalogue (util/error-codes.ts), which also gives
 * the exit code: one code, one exit code, so scripts can rely on both.
 * Messages and hints name options as a library caller sets them, in
 * backquotes (`allowMissing`), never as flags: the CLI prints them as the
 * flags of the command that ran (cli/option-flags.ts).
 */
export class MlopsError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode: ExitCodeValue;

  constructor(code: ErrorCode, message: string, options: MlopsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlopsError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = ERROR_CODES[code].exit;
  }
}

export function isMlopsError(err: unknown): err is MlopsError {
  return err instanceof MlopsError;
}

/** Message of any thrown value, for wrapping third-party errors. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

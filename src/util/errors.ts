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
  exitCode?: ExitCodeValue;
  cause?: unknown;
}

/**
 * The one error type for problems a user can act on. The CLI prints
 * `error: <message>` and `hint: <hint>` without a stack (unless --debug).
 * Anything that is not an MlopsError is treated as an internal error.
 */
export class MlopsError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: ExitCodeValue;

  constructor(code: string, message: string, options: MlopsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlopsError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.Usage;
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

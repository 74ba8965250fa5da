import type { ErrorCode } from '../util/error-codes.js';
import type { FindingCode } from './finding-codes.js';

export type Severity = 'error' | 'warning' | 'info';

/** One finding of `mlops check`, with a stable code scripts can match on. */
export interface Problem {
  severity: Severity;
  /** A finding code (check/finding-codes.ts), or the code of an error caught while loading or running. */
  code: FindingCode | ErrorCode;
  message: string;
  /** Which stage found it. */
  stage: 'structure' | 'compatibility' | 'load' | 'run' | 'parity';
  node?: string;
  tensor?: string;
  /** Path of the (sub)graph: "main", or "main/If_3.then_branch". */
  graph?: string;
  hint?: string;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

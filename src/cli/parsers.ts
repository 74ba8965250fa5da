/** Option value parsers: reject bad values at the edge, naming the flag. */
import { InvalidArgumentError } from 'commander';
import { MAX_BATCH_SIZE } from '../util/limits.js';
import { MlopsError } from '../util/errors.js';
import { formatCount } from '../util/format-number.js';

export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`"${value}" is not a number.`);
  return n;
}

export function parseNonNegative(value: string): number {
  const n = parseNumber(value);
  if (n < 0) throw new InvalidArgumentError(`"${value}" must be >= 0.`);
  return n;
}

/** A parser for numbers in [low, high] (or (low, high] with lowExclusive). */
export function numberInRange(
  low: number,
  high: number,
  options: { lowExclusive?: boolean } = {},
): (value: string) => number {
  return (value: string) => {
    const n = parseNumber(value);
    if (options.lowExclusive ? n <= low : n < low)
      throw new InvalidArgumentError(
        `"${value}" must be ${options.lowExclusive ? 'above' : 'at least'} ${low} and at most ${high}.`,
      );
    if (n > high)
      throw new InvalidArgumentError(
        `"${value}" must be ${options.lowExclusive ? 'above' : 'at least'} ${low} and at most ${high}.`,
      );
    return n;
  };
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`"${value}" is not a positive integer.`);
  return n;
}

/** A comma-separated list, repeatable; a name listed twice is a mistake (`--keep id,id` once wrote a column of "undefined"). */
/** Rows per inference call: a positive integer up to MAX_BATCH_SIZE, in every command. */
export function parseBatchSize(value: string): number {
  const n = parsePositiveInt(value);
  if (n > MAX_BATCH_SIZE)
    throw new InvalidArgumentError(`"${value}" is more than ${formatCount(MAX_BATCH_SIZE)} rows per call.`);
  return n;
}

export function parseList(value: string, previous: string[] = []): string[] {
  const list = [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
  const twice = list.find((name, i) => list.indexOf(name) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(`"${twice}" is listed twice.`);
  return list;
}

/** An output file path, or `-` for stdout. */
export function parseOutputPath(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('the path is empty.');
  return value;
}

/** An output file path; `-` is refused where stdout is not an option (a file named "-" is never what was meant). */
export function parseOutputFile(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('the path is empty.');
  if (value === '-')
    throw new InvalidArgumentError(
      '"-" (stdout) is not supported here; name a file or folder (a device such as /dev/stderr is written in place).',
    );
  return value;
}

/** `name=value` pairs, repeatable: `--dim batch=8 --dim seq=16`. */
export function parseKeyInt(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const match = /^([^=]+)=(\d+)$/.exec(value.trim());
  if (!match || Number(match[2]) < 1)
    throw new InvalidArgumentError(`"${value}" should look like name=8 (a dim name and a positive size).`);
  return { ...previous, [match[1]]: Number(match[2]) };
}

/** `key=value`, repeatable: `--tag team=fraud --tag owner=ana`. */
export function parseKeyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`"${value}" should look like key=value.`);
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1) };
}

/** `key=number`, repeatable: `--metric auc=0.91`. */
export function parseKeyNumber(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const eq = value.indexOf('=');
  const n = Number(value.slice(eq + 1));
  if (eq <= 0 || value.slice(eq + 1).trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(`"${value}" should look like name=0.91 (a metric name and a number).`);
  return { ...previous, [value.slice(0, eq).trim()]: n };
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`"${value}" is not a whole number >= 0.`);
  return n;
}

/** A repeatable option: each occurrence adds one value (`--input a.csv --input b.csv`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * A flag given by its name or by its old spelling (a hidden alias kept for scripts): either, not both.
 * Both together parse fine; they are two options that cannot be combined, hence OPTIONS_CONFLICT.
 */
export function oneSpelling<T>(now: T | undefined, old: T | undefined, flag: string, oldFlag: string): T | undefined {
  if (now !== undefined && old !== undefined)
    throw new MlopsError(
      'OPTIONS_CONFLICT',
      `${flag} and ${oldFlag} are the same flag (${oldFlag} is its old spelling): give it once`,
    );
  return now ?? old;
}

/** The "Examples:" block every command's --help ends with. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

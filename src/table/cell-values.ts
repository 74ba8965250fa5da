/** Strict parsing of CSV cells into model values: "abc", "0x10" or "" are not numbers. */
import { formatCount } from '../util/format-number.js';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL: Record<string, number> = {
  nan: NaN,
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-infinity': -Infinity,
};

/** Empty or a NaN-like spelling (NaN, NA, N/A, null, None): a missing value, in every command. */
const MISSING = /^(?:|nan|na|n\/a|null|none)$/i;

export function isMissingCell(text: string): boolean {
  return MISSING.test(text.trim());
}

/** A float, or undefined when the text is not one. NaN/inf spellings of numpy and pandas are accepted. */
export function parseFloatCell(text: string): number | undefined {
  const s = text.trim();
  if (DECIMAL.test(s)) return Number(s);
  const special = SPECIAL[s.toLowerCase()];
  return special;
}

export function parseIntCell(text: string): bigint | undefined {
  const s = text.trim();
  if (/^[+-]?\d+$/.test(s)) return BigInt(s);
  // "3.0" is what pandas writes for integer columns that once held NaN.
  if (/^[+-]?\d+\.0*$/.test(s)) return BigInt(s.slice(0, s.indexOf('.')));
  // "1e3" or "1.5e2": a whole number written with an exponent, exact while within 2^53.
  if (DECIMAL.test(s)) {
    const v = Number(s);
    if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) return BigInt(v);
  }
  return undefined;
}

/** The spellings parseBoolCell accepts, for messages. */
export const BOOL_SPELLINGS = 'true/false, t/f, yes/no, 1/0 (or 1.0/0.0)';

export function parseBoolCell(text: string): boolean | undefined {
  switch (text.trim().toLowerCase()) {
    // pandas writes 1.0/0.0 for a boolean column that once held NaN.
    case 'true':
    case '1':
    case 't':
    case 'yes':
    case '1.0':
      return true;
    case 'false':
    case '0':
    case 'f':
    case 'no':
    case '0.0':
      return false;
    default:
      return undefined;
  }
}

/** A cell for an error message: quoted, and cut short (an 8 MB value once made an 8 MB error line). */
export function quoteCell(text: string, max = 60): string {
  if (text.trim() === '') return 'empty value';
  return text.length <= max ? `"${text}"` : `"${text.slice(0, max)}..." (${formatCount(text.length)} characters)`;
}

/**
 * Why `text` cannot feed an input of element `type` as it is, or undefined when it can: the one
 * decision every path from a table to a model shares (predict-batch's encoder on its slow path,
 * samples, check's parity rows). A missing value (empty, NaN, NA, null...) is 'missing' for every
 * type but string, whatever a parser would make of it ("NaN" parses as a float): the caller decides
 * whether NaN may stand in for it (predict-batch and check with `allowMissing`).
 */
export function cellProblem(type: string, text: string): 'missing' | string | undefined {
  if (type === 'string') return undefined;
  if (isMissingCell(text)) return 'missing';
  if (type === 'bool') return parseBoolCell(text) === undefined ? `a boolean (${BOOL_SPELLINGS})` : undefined;
  if (type.startsWith('int') || type.startsWith('uint')) {
    const v = parseIntCell(text);
    if (v === undefined) return 'an integer';
    return intFits(type, v) ? undefined : intRangeProblem(type);
  }
  const v = parseFloatCell(text);
  if (v === undefined) return 'a number';
  return floatFits(type, v) ? undefined : floatRangeProblem(type);
}

/**
 * Whether a number stays finite in the element type: 1e40 in a float32 input would become Inf
 * silently (an infinity written as such, `inf`, is kept: it was asked for).
 */
export function floatFits(type: string, v: number): boolean {
  if (!Number.isFinite(v)) return true;
  if (type === 'float32') return Number.isFinite(Math.fround(v));
  if (type === 'float16') return Math.abs(v) < 65520; // rounds to Inf at and above 65520
  return true;
}

/** What a cell must be to fit a float input, in the words of `is not ...` messages. */
export function floatRangeProblem(type: string): string {
  return `a number the model's ${type} input can hold (magnitude up to ${type === 'float16' ? '65504' : '3.4028235e38'})`;
}

const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** Whether an integer fits the element type: a typed array would wrap it silently (2^32 + 5 -> 5 in int32). */
export function intFits(type: string, v: bigint): boolean {
  const range = INT_RANGES[type];
  return !range || (v >= range[0] && v <= range[1]);
}

/** What a cell must be to fit an integer input, in the words of `is not ...` messages. */
export function intRangeProblem(type: string): string {
  const range = INT_RANGES[type];
  return `an integer the model's ${type} input can hold${range ? ` (${range[0]} to ${range[1]})` : ''}`;
}

/** Whether NaN can stand in for a missing value in an input of this element type (floats only). */
export function takesNaN(type: string): boolean {
  return type.startsWith('float') || type === 'bfloat16';
}

/**
 * A missing value in `column`, in the words every command uses (predict-batch, check, samples).
 * `canAllow`: the caller has an `allowMissing` option (a sample has none: it skips the row).
 */
export function missingCellMessage(column: string, text: string, type: string, canAllow = true): string {
  const what = `column "${column}": ${quoteCell(text)} is missing`;
  if (takesNaN(type)) return canAllow ? `${what} (pass \`allowMissing\` to feed NaN)` : what;
  const kind = type === 'bool' ? 'boolean' : 'integer';
  return `${what}, and the model's ${kind} input has no missing value (fill it in the data)`;
}

/** A cell `column` cannot take, in the same words: its problem from cellProblem. */
export function cellProblemMessage(
  column: string,
  text: string,
  type: string,
  problem: string,
  canAllow = true,
): string {
  return problem === 'missing'
    ? missingCellMessage(column, text, type, canAllow)
    : `column "${column}": ${quoteCell(text)} is not ${problem}`;
}

/** Strict parsing of CSV cells into model values: "abc", "0x10" or "" are not numbers. */

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
  return text.length <= max
    ? `"${text}"`
    : `"${text.slice(0, max)}..." (${text.length.toLocaleString('en-US')} characters)`;
}

/** Strict parsing of CSV cells into model values: "abc", "0x10" or "" are not numbers. */

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity };

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
  return undefined;
}

export function parseBoolCell(text: string): boolean | undefined {
  switch (text.trim().toLowerCase()) {
    case 'true': case '1': case 't': case 'yes': return true;
    case 'false': case '0': case 'f': case 'no': return false;
    default: return undefined;
  }
}

/**
 * Decimal parsing straight from a row string, without slicing a field out.
 *
 * Clinger's fast path: with at most 15 significant digits the digits form an
 * exact integer m, and for |k| <= 22 the power 10^k is exact too, so m * 10^k
 * or m / 10^-k is one correctly rounded operation: the same double that
 * Number() (and pandas' parser) gives. Anything else returns undefined and
 * the caller falls back to Number() on the slice.
 */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

export function parseDecimal(text: string, start: number, end: number): number | undefined {
  let i = start;
  if (i >= end) return undefined;
  let c = text.charCodeAt(i);
  let negative = false;
  if (c === 45 /* - */ || c === 43 /* + */) {
    negative = c === 45;
    if (++i >= end) return undefined;
    c = text.charCodeAt(i);
  }
  let mantissa = 0;
  let digits = 0; // significant digits in mantissa
  let exponent = 0;
  let sawDigit = false;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    const d = c - 48;
    if (d < 0 || d > 9) break;
    sawDigit = true;
    if (digits > 0 || d !== 0) {
      if (++digits > 15) return undefined;
      mantissa = mantissa * 10 + d;
    }
  }
  if (i < end && c === 46 /* . */) {
    for (i++; i < end; i++) {
      c = text.charCodeAt(i);
      const d = c - 48;
      if (d < 0 || d > 9) break;
      sawDigit = true;
      exponent--;
      if (digits > 0 || d !== 0) {
        if (++digits > 15) return undefined;
        mantissa = mantissa * 10 + d;
      }
    }
  }
  if (!sawDigit) return undefined;
  if (i < end && (c === 101 || c === 69) /* e E */) {
    i++;
    let expNegative = false;
    if (i < end && (text.charCodeAt(i) === 45 || text.charCodeAt(i) === 43)) expNegative = text.charCodeAt(i++) === 45;
    let e = 0;
    let expDigits = 0;
    for (; i < end; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return undefined;
      e = e * 10 + d;
      if (++expDigits > 4) return undefined;
    }
    if (expDigits === 0) return undefined;
    exponent += expNegative ? -e : e;
  }
  if (i !== end) return undefined;
  let value: number;
  if (mantissa === 0) value = 0;
  else if (exponent === 0) value = mantissa;
  else if (exponent > 0 && exponent <= 22) value = mantissa * POW10[exponent];
  else if (exponent < 0 && exponent >= -22) value = mantissa / POW10[-exponent];
  else return undefined;
  return negative ? -value : value;
}

/** Where the last scanDecimal stopped: the comma after the field, or the row end. */
export const scanState = { end: 0 };

/**
 * Parse the field starting at buf[start] (a row ends at `end`) as a decimal,
 * stopping at the next comma. Returns NaN when the field is not a plain
 * decimal whose digits fit in 2^53 with an exponent within 10^±22; then
 * scanState.end is not set and the caller takes the slow path on the text.
 * This runs once per numeric cell, so it is written for speed: one pass,
 * no per-digit bookkeeping beyond the accumulator.
 */
export function scanDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let c = i < end ? buf[i] : 44;
  const negative = c === 45;
  if (negative || c === 43) c = ++i < end ? buf[i] : 44;
  let mantissa = 0;
  const intStart = i;
  while (i < end) {
    const d = buf[i] - 48;
    if (d >>> 0 > 9) break;
    mantissa = mantissa * 10 + d;
    i++;
  }
  let digits = i - intStart;
  let exponent = 0;
  if (i < end && buf[i] === 46) {
    const fracStart = ++i;
    while (i < end) {
      const d = buf[i] - 48;
      if (d >>> 0 > 9) break;
      mantissa = mantissa * 10 + d;
      i++;
    }
    exponent = fracStart - i;
    digits += i - fracStart;
  }
  if (digits === 0 || mantissa > 9007199254740991) return NaN;
  if (i < end && (buf[i] | 0x20) === 101 /* e or E */) {
    i++;
    let expNegative = false;
    if (i < end && (buf[i] === 45 || buf[i] === 43)) expNegative = buf[i++] === 45;
    const expStart = i;
    let e = 0;
    while (i < end) {
      const d = buf[i] - 48;
      if (d >>> 0 > 9) break;
      e = e * 10 + d;
      i++;
    }
    if (i === expStart || i - expStart > 4) return NaN;
    exponent += expNegative ? -e : e;
  }
  if (i < end && buf[i] !== 44) return NaN; // junk before the comma
  let value: number;
  if (mantissa === 0 || exponent === 0) value = mantissa;
  else if (exponent > 0 && exponent <= 22) value = mantissa * POW10[exponent];
  else if (exponent < 0 && exponent >= -22) value = mantissa / POW10[-exponent];
  else return NaN;
  scanState.end = i;
  return negative ? -value : value;
}

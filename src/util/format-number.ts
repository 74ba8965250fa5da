/**
 * Shortest decimal that reads back to the same float32, as numpy prints it.
 * JavaScript's String() gives the shortest for doubles; a float32 widened to
 * double would print 17 digits (0.49871239066123962 for 0.4987124).
 *
 * For p significant digits we take n = round(|f| * 10^s) with s = p - 1 - e10.
 * While 10^|s| is exact (|s| <= 22), n / 10^s is one correctly rounded
 * division: the same double that parsing the decimal text gives, so
 * fround(n / 10^s) === f is exactly the round-trip test, without strings.
 * Round-tripping is monotonic in p, so the shortest p is found by a short
 * walk from 7. Values outside that range fall back to toPrecision.
 */
import { halfToNumber, numberToHalf } from './float16.js';

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

export function formatFloat32(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (value !== value || value === Infinity || value === -Infinity)
    return value !== value ? 'NaN' : value > 0 ? 'inf' : '-inf';
  const n = shortestFloat32(value);
  return n < 0 ? slowFormatFloat32(Math.fround(value)) : render(value < 0, n, shortest.exponent);
}

/** The exponent k of the last shortestFloat32 answer n (the value is n * 10^k). */
export const shortest = { exponent: 0 };

/**
 * The shortest digits of a finite non-zero float32 as an integer n (at most 9
 * digits; shortest.exponent says where the point goes), or -1 where only the
 * slow path applies. Writers that put digits straight into bytes use it.
 */
export function shortestFloat32(value: number): number {
  const f = Math.fround(value);
  const a = f < 0 ? -f : f;
  let e10 = Math.floor(Math.log10(a));
  // log10 can be off by one next to powers of ten.
  if (a >= pow10(e10 + 1)) e10++;
  else if (a < pow10(e10)) e10--;
  if (e10 > 21 || e10 < -14) return -1; // 10^(p-1-e10) must stay exact for p in 1..9
  let p = 7;
  let n = candidate(a, 6 - e10);
  if (n >= 0) {
    for (let q = 6; q >= 1; q--) {
      const shorter = candidate(a, q - 1 - e10);
      if (shorter < 0) break;
      n = shorter;
      p = q;
    }
  } else {
    for (p = 8; p <= 9; p++) {
      n = candidate(a, p - 1 - e10);
      if (n >= 0) break;
    }
    if (n < 0) return -1;
  }
  shortest.exponent = e10 - p + 1;
  return n;
}

/**
 * round(a * 10^s) when it reads back as a, else -1. Ties go to the even digit, as numpy prints them (162489.125 -> 162489.12).
 * This runs a few times per value written: `%` on doubles is a C call in V8, so the
 * fraction is taken as x - floor(x) (exact for x >= 0) and parity on the integer.
 */
function candidate(a: number, s: number): number {
  if (s >= 0) {
    const scale = POW10[s];
    const x = a * scale;
    const n = roundHalfEvenPositive(x);
    if (Math.fround(n / scale) === a) return n;
    // On a tie the even neighbour may not read back while the odd one does (numpy then prints the odd one).
    const other = x - Math.floor(x) === 0.5 ? 2 * x - n : -1;
    return other >= 0 && Math.fround(other / scale) === a ? other : -1;
  }
  const scale = POW10[-s];
  const n = roundHalfEvenPositive(a / scale);
  return Math.fround(n * scale) === a ? n : -1;
}

/** roundHalfEven for x >= 0, without `%` on doubles (same results). */
function roundHalfEvenPositive(x: number): number {
  const floor = Math.floor(x);
  const r = Math.round(x);
  return x - floor === 0.5 && r - 2 * Math.floor(r / 2) !== 0 ? r - 1 : r;
}

function pow10(e: number): number {
  return e >= 0 ? (POW10[e] ?? 10 ** e) : 1 / (POW10[-e] ?? 10 ** -e);
}

/** n * 10^k printed the way JavaScript's Number#toString prints numbers. */
function render(negative: boolean, n: number, k: number): string {
  // n < 10^9 here (at most 9 digits), so the trailing zeros go with int32 arithmetic, not fmod.
  let m = n | 0;
  let q = (m / 10) | 0;
  while (m === q * 10) {
    m = q;
    q = (m / 10) | 0;
    k++;
  }
  const digits = String(m);
  const point = digits.length + k; // position of the decimal point from the first digit
  let text: string;
  if (point > 21 || point <= -6) {
    const e = point - 1;
    text = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${e > 0 ? '+' : '-'}${Math.abs(e)}`;
  } else if (point <= 0) {
    text = `0.${'0'.repeat(-point)}${digits}`;
  } else if (point >= digits.length) {
    text = digits + '0'.repeat(point - digits.length);
  } else {
    text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  return negative ? `-${text}` : text;
}

/** The plain search with toPrecision, for magnitudes where 10^s is not exact. */
function slowFormatFloat32(f: number): string {
  return shortestBy(f, 9, (x) => Math.fround(x) === f);
}

/**
 * The fewest significant digits (up to maxDigits) whose decimal reads back as
 * `value` by `same`. When `value` lies exactly halfway between two such
 * decimals, the even last digit is tried first, then the other, as numpy does
 * (toPrecision alone would round the tie away from zero).
 */
function shortestBy(value: number, maxDigits: number, same: (x: number) => boolean): string {
  const [mantissa, exponent] = Math.abs(value).toExponential(99).split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '');
  for (let p = 1; p <= maxDigits; p++) {
    const up = value.toPrecision(p);
    const tie = digits.length === p + 1 && digits[p] === '5';
    const down = `${value < 0 ? '-' : ''}${digits[0]}${p > 1 ? `.${digits.slice(1, p)}` : ''}e${exponent}`;
    const candidates = !tie ? [up] : Number(digits[p - 1]) % 2 === 0 ? [down, up] : [up, down];
    for (const text of candidates) if (same(Number(text))) return String(Number(text));
  }
  return String(value);
}

/** Shortest decimal that reads back to the same double (JavaScript's own rule). */
export function formatFloat64(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'inf' : '-inf';
  // String(-0) is "0": keep the sign, as formatFloat32 and numpy do.
  return value === 0 && 1 / value < 0 ? '-0' : String(value);
}

/**
 * Shortest decimal that reads back to the same float16 (given as bits), as
 * numpy prints it: at most 5 significant digits; an exact tie keeps the even digit.
 */
export function formatFloat16(bits: number): string {
  const value = halfToNumber(bits);
  if (!Number.isFinite(value)) return value !== value ? 'NaN' : value > 0 ? 'inf' : '-inf';
  if (value === 0) return bits & 0x8000 ? '-0' : '0';
  return shortestBy(value, 5, (x) => numberToHalf(x) === bits);
}

/**
 * An integer with thousands separators, as toLocaleString('en-US') writes it, without that call: its
 * first use loads ICU's locale data, 13 ms of every predict-batch run's summary line.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? `-${out}` : out;
}

/**
 * Two-sample Kolmogorov-Smirnov test, computed the way scipy.stats.ks_2samp
 * does (statistic, exact and asymptotic p-values, method selection, the
 * fallback to asymptotic when the exact computation overflows).
 */
import { binom } from './special.js';
import { kstwoSf } from './kolmogorov.js';
import { roundHalfEven } from '../util/round.js';

export type Alternative = 'two-sided' | 'less' | 'greater';
export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsResult {
  statistic: number;
  pvalue: number;
  /** Which computation gave the p-value: exact, asymp, or asymp after the exact one failed. */
  method: 'exact' | 'asymp' | 'asymp (exact failed)';
  /** The value where the ECDF difference is reached, and its sign (+1: reference ECDF above). */
  statistic_location: number;
  statistic_sign: 1 | -1;
}

const MAX_AUTO_N = 10000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** P(D >= h/n) for n1 == n2 == n, two-sided: the alternating sum in Horner form. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Two-sided, n1 != n2: probability that the lattice path leaves the band
 * |x/m - y/n| < h/lcm, by Viehmann's recursion for 1 - p on one sliding column.
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) for (let k = maxj - minj; k < maxj - minj + (lastlen - curlen); k++) A[k] = 1;
  }
  return A[maxj - minj - 1];
}

/** One-sided, n1 != n2: number of lattice paths that reach the boundary (Hodges). */
function countPathsOutside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  const lxj = n + Math.floor((mg - h) / mg);
  if (lxj === 0) return binom(m + n, n);
  const xj = Array.from({ length: lxj }, (_, j) => Math.floor((h + mg * j + ng - 1) / ng));
  // O(lxj^2) binomials: a log-factorial table makes each one a lookup.
  const logFactorial = new Float64Array(m + n + 2);
  for (let i = 2; i < logFactorial.length; i++) logFactorial[i] = logFactorial[i - 1] + Math.log(i);
  const choose = (a: number, b: number) =>
    b < 30 || a - b < 30 ? binom(a, b) : Math.exp(logFactorial[a] - logFactorial[b] - logFactorial[a - b]);
  const B = new Float64Array(lxj);
  B[0] = 1;
  for (let j = 1; j < lxj; j++) {
    let Bj = choose(xj[j] + j, j);
    for (let i = 0; i < j; i++) Bj -= choose(xj[j] - xj[i] + j - i, j - i) * B[i];
    B[j] = Bj;
  }
  let paths = 0;
  for (let j = 0; j < lxj; j++) paths += B[j] * choose(m - xj[j] + (n - j), n - j);
  return paths;
}

function exactP(
  n1: number,
  n2: number,
  g: number,
  d: number,
  alternative: Alternative,
): { ok: boolean; d: number; p: number } {
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const snapped = h / lcm;
  if (h === 0) return { ok: true, d: snapped, p: 1 };
  let p: number;
  if (alternative === 'two-sided') {
    p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  } else if (n1 === n2) {
    p = 1;
    for (let j = 0; j < h; j++) p *= (n1 - j) / (n1 + j + 1);
  } else {
    const paths = countPathsOutside(n1, n2, g, h);
    const all = binom(n1 + n2, n1);
    if (!Number.isFinite(paths) || !Number.isFinite(all) || paths > all) return { ok: false, d: snapped, p: NaN };
    p = paths / all;
  }
  if (!Number.isFinite(p) || p < 0 || p > 1) return { ok: false, d: snapped, p };
  return { ok: true, d: snapped, p };
}

/** Sorted copies are expected: pass Float64Arrays sorted ascending (sortedCopy does that). */
export function ks2sampSorted(
  x: Float64Array,
  y: Float64Array,
  alternative: Alternative = 'two-sided',
  method: KsMethod = 'auto',
): KsResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new Error('ks_2samp needs two non-empty samples');
  // Walk the merged values: cdf1 - cdf2 at every distinct value (searchsorted 'right').
  let i = 0;
  let j = 0;
  let maxS = -Infinity;
  let minS = Infinity;
  let maxAt = 0;
  let minAt = 0;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
    while (i < n1 && x[i] <= v) i++;
    while (j < n2 && y[j] <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) {
      maxS = diff;
      maxAt = v;
    }
    if (diff < minS) {
      minS = diff;
      minAt = v;
    }
  }
  const minNeg = Math.min(Math.max(-minS, 0), 1);
  let d: number;
  let location: number;
  let sign: 1 | -1;
  if (alternative === 'less' || (alternative === 'two-sided' && minNeg > maxS)) {
    d = minNeg;
    location = minAt;
    sign = -1;
  } else {
    d = maxS;
    location = maxAt;
    sign = 1;
  }
  const g = gcd(n1, n2);
  let mode: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= MAX_AUTO_N ? 'exact' : 'asymp') : method;
  let fellBack = false;
  if (mode === 'exact' && n1 / g >= 2147483647 / (n2 / g)) {
    mode = 'asymp';
    fellBack = true;
  }
  let p = NaN;
  if (mode === 'exact') {
    const r = exactP(n1, n2, g, d, alternative);
    d = r.d;
    if (r.ok) p = r.p;
    else {
      mode = 'asymp';
      fellBack = true;
    }
  }
  if (mode === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    if (alternative === 'two-sided') {
      p = kstwoSf(roundHalfEven(en), d);
    } else {
      const z = Math.sqrt(en) * d;
      p = Math.exp(-2 * z * z - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3);
    }
  }
  p = Math.min(Math.max(p, 0), 1);
  // -0 (an empty difference) prints and compares as 0.
  return {
    statistic: d === 0 ? 0 : d,
    pvalue: p,
    method: mode === 'exact' ? 'exact' : fellBack ? 'asymp (exact failed)' : 'asymp',
    statistic_location: location,
    statistic_sign: sign,
  };
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

export function ks2samp(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  alternative: Alternative = 'two-sided',
  method: KsMethod = 'auto',
): KsResult {
  return ks2sampSorted(sortedCopy(x), sortedCopy(y), alternative, method);
}

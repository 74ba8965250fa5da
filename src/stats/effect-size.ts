/** Effect sizes reported next to p-values, and multiple-testing corrections. */

/** Share used in place of an empty bin, so PSI stays finite (Evidently's convention). */
export const PSI_EMPTY_SHARE = 1e-4;

/** sum over bins of (cur - ref) * ln(cur / ref), on shares with empty ones replaced. */
export function psiFromCounts(reference: number[], current: number[]): number {
  const totalRef = reference.reduce((a, b) => a + b, 0);
  const totalCur = current.reduce((a, b) => a + b, 0);
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] / totalRef || PSI_EMPTY_SHARE;
    const c = current[i] / totalCur || PSI_EMPTY_SHARE;
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/** Value at quantile q of sorted data (linear interpolation, numpy's default). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Count of sorted values below `edge` (first index with value >= edge). */
function lowerBound(sorted: Float64Array, edge: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < edge) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * PSI of a numerical column: `bins` bins at the reference's quantiles, outer
 * edges open (-inf, +inf); duplicate edges (ties) merge their bins. A value
 * equal to an inner edge goes to the bin on its right, as numpy.histogram does
 * for [a, b) bins.
 */
export function numericPsi(
  reference: Float64Array,
  current: Float64Array,
  bins = 10,
): { psi: number; edges: number[] } {
  const inner: number[] = [];
  for (let k = 1; k < bins; k++) {
    const edge = quantileSorted(reference, k / bins);
    if (inner.length === 0 || edge > inner[inner.length - 1]) inner.push(edge);
  }
  const count = (sorted: Float64Array) => {
    const counts: number[] = [];
    let previous = 0;
    for (const edge of inner) {
      const below = lowerBound(sorted, edge);
      counts.push(below - previous);
      previous = below;
    }
    counts.push(sorted.length - previous);
    return counts;
  };
  return { psi: psiFromCounts(count(reference), count(current)), edges: inner };
}

/**
 * 1-Wasserstein distance between the two empirical distributions
 * (scipy.stats.wasserstein_distance): the integral of |F_ref - F_cur|.
 */
export function wassersteinSorted(x: Float64Array, y: Float64Array): number {
  const n1 = x.length;
  const n2 = y.length;
  let i = 0;
  let j = 0;
  let distance = 0;
  let previous = Math.min(x[0], y[0]);
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
    distance += Math.abs(i / n1 - j / n2) * (v - previous);
    previous = v;
    while (i < n1 && x[i] <= v) i++;
    while (j < n2 && y[j] <= v) j++;
  }
  return distance;
}

export function standardDeviation(sorted: Float64Array): number {
  let mean = 0;
  for (const v of sorted) mean += v;
  mean /= sorted.length;
  let ss = 0;
  for (const v of sorted) ss += (v - mean) ** 2;
  return Math.sqrt(ss / sorted.length);
}

export type Correction = 'none' | 'bonferroni' | 'fdr';

/** Corrected p-values: Bonferroni (p * k) or Benjamini-Hochberg adjusted p-values; capped at 1. */
export function correctPValues(pvalues: number[], correction: Correction): number[] {
  const k = pvalues.length;
  if (correction === 'none' || k === 0) return [...pvalues];
  if (correction === 'bonferroni') return pvalues.map((p) => Math.min(1, p * k));
  const order = pvalues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(k);
  let running = 1;
  for (let r = k - 1; r >= 0; r--) {
    const [p, i] = order[r];
    running = Math.min(running, (p * k) / (r + 1));
    adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}

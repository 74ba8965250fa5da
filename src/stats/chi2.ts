/** Pearson chi-square test of independence on a contingency table, as scipy.stats.chi2_contingency. */
import { chi2Sf } from './special.js';

export interface Chi2Result {
  statistic: number;
  pvalue: number;
  dof: number;
  /** Whether Yates' continuity correction was applied (2x2 tables, when asked). */
  yates: boolean;
}

/**
 * `table[r][c]` counts. Expected counts from the margins; with one degree of
 * freedom (2x2) and `correction`, each observed count moves toward its
 * expected count by min(0.5, |o - e|) (Yates, as scipy does).
 */
export function chi2Contingency(table: number[][], correction = true): Chi2Result {
  const rows = table.length;
  const cols = table[0]?.length ?? 0;
  const rowSums = table.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = Array.from({ length: cols }, (_, c) => table.reduce((a, r) => a + r[c], 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  const dof = Math.max(0, (rows - 1) * (cols - 1));
  const yates = dof === 1 && correction;
  let statistic = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const expected = (rowSums[r] * colSums[c]) / total;
      let observed = table[r][c];
      if (yates) {
        const diff = expected - observed;
        observed += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      statistic += (observed - expected) ** 2 / expected;
    }
  }
  return { statistic, pvalue: dof === 0 ? 1 : chi2Sf(statistic, dof), dof, yates };
}

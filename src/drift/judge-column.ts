/**
 * One column's verdict from its values in both files: the distribution test
 * (KS for numbers, chi-square for categories), its effect sizes, and the
 * missing-value rule; and the verdicts of columns found in one file only.
 */
import { ks2sampSorted, type Alternative, type KsMethod } from '../stats/ks.js';
import { chi2Contingency } from '../stats/chi2.js';
import { numericPsi, psiFromCounts, standardDeviation, wassersteinSorted } from '../stats/effect-size.js';
import type { ColumnData, ColumnKind } from './read-columns.js';
import { chartData } from './charts.js';
import { MISSING_RATE_JUMP } from './rules.js';
import type { ColumnDrift } from './types.js';

export function lostColumn(name: string, reason: string): ColumnDrift {
  return {
    ...oneSided(name, reason),
    type_rule: 'not in the current data',
    status: 'tested',
    test: 'missing_rate',
    method: 'column missing',
    current_missing_rate: 1,
    missing_drift: true,
    drifted: true,
  };
}

export function oneSided(name: string, reason: string): ColumnDrift {
  return {
    column: name,
    type: 'categorical',
    type_rule: '-',
    status: 'skipped',
    reason,
    reference_count: 0,
    current_count: 0,
    reference_missing: 0,
    current_missing: 0,
    reference_missing_rate: null,
    current_missing_rate: null,
    missing_drift: false,
    drifted: false,
  };
}

interface MissingVerdict {
  reference_missing_rate: number;
  current_missing_rate: number;
  missing_pvalue?: number;
  missing_statistic?: number;
  missing_drift: boolean;
}

/** The missing-value rule (see MISSING_RATE_JUMP); judged only when both files have minValues rows. */
function missingRule(
  ref: ColumnData,
  cur: ColumnData,
  refRows: number,
  curRows: number,
  alpha: number,
  minValues: number,
): MissingVerdict {
  const refRate = ref.missing / refRows;
  const curRate = cur.missing / curRows;
  const out: MissingVerdict = { reference_missing_rate: refRate, current_missing_rate: curRate, missing_drift: false };
  if (refRows < minValues || curRows < minValues) return out;
  if (cur.count === 0 && ref.count >= minValues) out.missing_drift = true;
  if (Math.abs(curRate - refRate) >= MISSING_RATE_JUMP) {
    const r = chi2Contingency(
      [
        [ref.missing, ref.count],
        [cur.missing, cur.count],
      ],
      true,
    );
    out.missing_pvalue = r.pvalue;
    out.missing_statistic = r.statistic;
    if (r.pvalue < alpha) out.missing_drift = true;
  }
  return out;
}

function tooFew(ref: ColumnData, cur: ColumnData, minValues: number): string | undefined {
  if (ref.count === 0 && cur.count === 0) return 'all values missing in both files';
  if (cur.count === 0) return 'all values missing in the current data';
  if (ref.count === 0) return 'all values missing in the reference data';
  const thin = [
    ref.count < minValues ? `${ref.count} in the reference data` : '',
    cur.count < minValues ? `${cur.count} in the current data` : '',
  ].filter(Boolean);
  return thin.length ? `too few values: ${thin.join(', ')} (need ${minValues})` : undefined;
}

export function judgeColumn(
  name: string,
  kind: ColumnKind,
  rule: string,
  ref: ColumnData,
  cur: ColumnData,
  refRows: number,
  curRows: number,
  s: { alternative: Alternative; method: KsMethod; alpha: number; minValues: number },
): ColumnDrift {
  const { missing_statistic: missingStatistic, ...missing } = missingRule(
    ref,
    cur,
    refRows,
    curRows,
    s.alpha,
    s.minValues,
  );
  const base = {
    column: name,
    type: kind,
    type_rule: rule,
    reference_count: ref.count,
    current_count: cur.count,
    reference_missing: ref.missing,
    current_missing: cur.missing,
    ...missing,
    drifted: missing.missing_drift,
  };
  const few = tooFew(ref, cur, s.minValues);
  if (few !== undefined) {
    // The values cannot be compared; the missing-value rule may still have found drift.
    if (!missing.missing_drift) return { ...base, status: 'skipped', reason: few };
    return {
      ...base,
      status: 'tested',
      reason: few,
      test: 'missing_rate',
      method: missingStatistic === undefined ? 'all missing' : 'pearson + yates',
      ...(missingStatistic === undefined
        ? {}
        : { statistic: missingStatistic, pvalue: missing.missing_pvalue, pvalue_corrected: missing.missing_pvalue }),
    };
  }
  const tested = { ...base, status: 'tested' as const };
  if (kind === 'numerical') {
    const x = ref.numbers!.slice().sort();
    const y = cur.numbers!.slice().sort();
    const r = ks2sampSorted(x, y, s.alternative, s.method);
    const sd = standardDeviation(x);
    return {
      ...tested,
      test: 'ks',
      method: r.method,
      statistic: r.statistic,
      pvalue: r.pvalue,
      ks_d: r.statistic,
      psi: numericPsi(x, y).psi,
      wasserstein_norm: sd > 0 ? wassersteinSorted(x, y) / sd : null,
      ...(sd > 0 ? {} : { reason: 'the reference is constant: the Wasserstein distance cannot be normalised' }),
      chart: chartData('numerical', x, y),
    };
  }
  const levels = [...new Set([...ref.categories!.keys(), ...cur.categories!.keys()])].sort();
  const refCounts = levels.map((l) => ref.categories!.get(l) ?? 0);
  const curCounts = levels.map((l) => cur.categories!.get(l) ?? 0);
  const unseen = levels.filter((l) => !ref.categories!.has(l));
  if (levels.length < 2) {
    return {
      ...tested,
      test: 'chi2',
      method: 'pearson',
      statistic: 0,
      pvalue: 1,
      psi: 0,
      unseen_categories: unseen,
      reason: `one category only ("${levels[0]}") in both files`,
      chart: chartData('categorical', undefined, undefined, levels, refCounts, curCounts),
    };
  }
  const r = chi2Contingency([refCounts, curCounts], true);
  return {
    ...tested,
    test: 'chi2',
    method: r.yates ? 'pearson + yates' : 'pearson',
    statistic: r.statistic,
    pvalue: r.pvalue,
    psi: psiFromCounts(refCounts, curCounts),
    unseen_categories: unseen,
    chart: chartData('categorical', undefined, undefined, levels, refCounts, curCounts),
  };
}

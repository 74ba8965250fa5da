/** `mlops drift`: per-column tests between a reference and a current CSV, and a dataset verdict. */
import { stat } from 'node:fs/promises';
import { MlopsError } from '../util/errors.js';
import { ks2sampSorted, type Alternative, type KsMethod } from '../stats/ks.js';
import { chi2Contingency } from '../stats/chi2.js';
import { correctPValues, numericPsi, psiFromCounts, standardDeviation, wassersteinSorted, type Correction } from '../stats/effect-size.js';
import { detectKind, readColumns, readHeader, sampleRows, type ColumnData, type ColumnKind } from './read-columns.js';
import { chartData, type ChartData } from './charts.js';

export type EffectMetric = 'psi' | 'ks' | 'wasserstein';

export interface DriftOptions {
  reference: string;
  current: string;
  columns?: string[];
  exclude?: string[];
  categorical?: string[];
  numerical?: string[];
  alternative?: Alternative;
  method?: KsMethod;
  alpha?: number;
  correction?: Correction;
  /** A column drifts only when its effect size also exceeds this. */
  minEffect?: number;
  effectMetric?: EffectMetric;
  driftShare?: number;
}

export interface ColumnDrift {
  column: string;
  type: ColumnKind;
  /** Why the column got its type. */
  type_rule: string;
  status: 'tested' | 'skipped';
  reason?: string;
  test?: 'ks' | 'chi2';
  /** KS: exact, asymp, asymp (exact failed); chi-square: pearson, or pearson + yates for 2x2. */
  method?: string;
  statistic?: number;
  pvalue?: number;
  pvalue_corrected?: number;
  psi?: number;
  ks_d?: number;
  wasserstein_norm?: number | null;
  reference_count: number;
  current_count: number;
  reference_missing: number;
  current_missing: number;
  unseen_categories?: string[];
  drifted: boolean;
  chart?: ChartData;
}

export interface DriftResult {
  reference: { path: string; rows: number };
  current: { path: string; rows: number };
  settings: { alpha: number; correction: Correction; alternative: Alternative; method: KsMethod; min_effect: number | null; effect_metric: EffectMetric; drift_share: number };
  columns: ColumnDrift[];
  tested: number;
  drifted: number;
  drift_share: number;
  dataset_drift: boolean;
}

export async function detectDrift(options: DriftOptions): Promise<DriftResult> {
  const alpha = options.alpha ?? 0.05;
  const correction = options.correction ?? 'none';
  const alternative = options.alternative ?? 'two-sided';
  const method = options.method ?? 'auto';
  const effectMetric = options.effectMetric ?? 'psi';
  const driftShare = options.driftShare ?? 0.5;
  for (const file of [options.reference, options.current]) {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new MlopsError('CSV_NOT_FOUND', `${file} does not exist`, { hint: 'check the path of --reference and --current' });
  }
  const refHeader = await readHeader(options.reference);
  const curHeader = await readHeader(options.current);
  const inCurrent = new Set(curHeader.header);
  const inReference = new Set(refHeader.header);
  const requested = options.columns ?? refHeader.header.filter((h) => !(options.exclude ?? []).includes(h));
  for (const name of [...(options.columns ?? []), ...(options.categorical ?? []), ...(options.numerical ?? [])]) {
    if (!inReference.has(name) || !inCurrent.has(name)) {
      throw new MlopsError('CSV_COLUMNS_MISSING', `column "${name}" is not in ${!inReference.has(name) ? options.reference : options.current}`, {
        hint: `columns of the reference: ${refHeader.header.slice(0, 12).join(', ')}${refHeader.header.length > 12 ? ', ...' : ''}`,
      });
    }
  }
  const sample = await sampleRows(options.reference, refHeader, 1000);
  const results: ColumnDrift[] = [];
  const toRead: Array<{ name: string; kind: ColumnKind; rule: string }> = [];
  for (const name of requested) {
    if (!inCurrent.has(name)) {
      results.push(skippedColumn(name, 'categorical', '-', `only in the reference (${options.current} has no column "${name}")`));
      continue;
    }
    const c = refHeader.header.indexOf(name);
    const kind = options.categorical?.includes(name) ? { kind: 'categorical' as const, rule: '--categorical' }
      : options.numerical?.includes(name) ? { kind: 'numerical' as const, rule: '--numerical' }
      : detectKind(sample.map((r) => r[c] ?? ''));
    toRead.push({ name, ...kind });
  }
  for (const name of curHeader.header) {
    if (!inReference.has(name) && !(options.exclude ?? []).includes(name) && !options.columns) {
      results.push(skippedColumn(name, 'categorical', '-', `only in the current data (${options.reference} has no column "${name}")`));
    }
  }
  if (toRead.length === 0) {
    throw new MlopsError('DRIFT_NO_COMMON_COLUMNS', `${options.reference} and ${options.current} have no column in common to compare`, {
      hint: `reference columns: ${refHeader.header.slice(0, 8).join(', ')}; current columns: ${curHeader.header.slice(0, 8).join(', ')}`,
    });
  }
  const [ref, cur] = await Promise.all([
    readColumns(options.reference, refHeader, toRead.map(({ name, kind }) => ({ name, kind }))),
    readColumns(options.current, curHeader, toRead.map(({ name, kind }) => ({ name, kind }))),
  ]);
  toRead.forEach((col, k) => results.push(testColumn(col.name, col.kind, col.rule, ref[k], cur[k], { alternative, method })));

  const tested = results.filter((r) => r.status === 'tested');
  const corrected = correctPValues(tested.map((r) => r.pvalue!), correction);
  tested.forEach((r, i) => {
    r.pvalue_corrected = corrected[i];
    const effect = effectMetric === 'psi' || r.type === 'categorical' ? r.psi! : effectMetric === 'ks' ? r.ks_d! : r.wasserstein_norm ?? 0;
    r.drifted = corrected[i] < alpha && (options.minEffect === undefined || effect > options.minEffect);
  });
  const drifted = tested.filter((r) => r.drifted).length;
  const share = tested.length ? drifted / tested.length : 0;
  // Most severe first: drifted, then by p-value, then by effect.
  results.sort((a, b) => Number(b.drifted) - Number(a.drifted) || (a.pvalue ?? 2) - (b.pvalue ?? 2) || (b.psi ?? 0) - (a.psi ?? 0));
  return {
    reference: { path: options.reference, rows: Math.max(0, ...ref.map((c) => c.count + c.missing)) },
    current: { path: options.current, rows: Math.max(0, ...cur.map((c) => c.count + c.missing)) },
    settings: { alpha, correction, alternative, method, min_effect: options.minEffect ?? null, effect_metric: effectMetric, drift_share: driftShare },
    columns: results,
    tested: tested.length,
    drifted,
    drift_share: share,
    dataset_drift: tested.length > 0 && share >= driftShare,
  };
}

function skippedColumn(name: string, kind: ColumnKind, rule: string, reason: string, ref?: ColumnData, cur?: ColumnData): ColumnDrift {
  return {
    column: name, type: kind, type_rule: rule, status: 'skipped', reason,
    reference_count: ref?.count ?? 0, current_count: cur?.count ?? 0, reference_missing: ref?.missing ?? 0, current_missing: cur?.missing ?? 0,
    drifted: false,
  };
}

function testColumn(name: string, kind: ColumnKind, rule: string, ref: ColumnData, cur: ColumnData, ks: { alternative: Alternative; method: KsMethod }): ColumnDrift {
  if (ref.count < 2 || cur.count < 2) {
    const which = ref.count < 2 ? 'reference' : 'current';
    const count = Math.min(ref.count, cur.count);
    return skippedColumn(name, kind, rule, count === 0 ? `all values missing in the ${which} data` : `fewer than 2 values in the ${which} data`, ref, cur);
  }
  const base = { column: name, type: kind, type_rule: rule, status: 'tested' as const, reference_count: ref.count, current_count: cur.count, reference_missing: ref.missing, current_missing: cur.missing, drifted: false };
  if (kind === 'numerical') {
    const x = ref.numbers!.slice().sort();
    const y = cur.numbers!.slice().sort();
    const r = ks2sampSorted(x, y, ks.alternative, ks.method);
    const sd = standardDeviation(x);
    return {
      ...base, test: 'ks', method: r.method, statistic: r.statistic, pvalue: r.pvalue, ks_d: r.statistic,
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
    return { ...base, test: 'chi2', method: 'pearson', statistic: 0, pvalue: 1, psi: 0, unseen_categories: unseen, reason: `one category only ("${levels[0]}") in both files`, chart: chartData('categorical', undefined, undefined, levels, refCounts, curCounts) };
  }
  const r = chi2Contingency([refCounts, curCounts], true);
  return {
    ...base, test: 'chi2', method: r.yates ? 'pearson + yates' : 'pearson', statistic: r.statistic, pvalue: r.pvalue,
    psi: psiFromCounts(refCounts, curCounts), unseen_categories: unseen,
    chart: chartData('categorical', undefined, undefined, levels, refCounts, curCounts),
  };
}

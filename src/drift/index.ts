/** `mlops drift`: per-column tests between a reference and a current CSV, and a dataset verdict. */
import { MlopsError } from '../util/errors.js';
import { ks2sampSorted, type Alternative, type KsMethod } from '../stats/ks.js';
import { chi2Contingency } from '../stats/chi2.js';
import {
  correctPValues,
  numericPsi,
  psiFromCounts,
  standardDeviation,
  wassersteinSorted,
  type Correction,
} from '../stats/effect-size.js';
import { detectKind, readColumns, readHeader, readSample, type ColumnData, type ColumnKind } from './read-columns.js';
import { skippedRowsNote } from '../table/bounded-rows.js';
import { selectColumns } from '../table/column-map.js';
import { isMissingCell } from '../table/cell-values.js';
import { chartData, type ChartData } from './charts.js';
import { openInputs } from './inputs.js';
import { checkThresholds, MIN_VALUES, MISSING_RATE_JUMP } from './rules.js';

export { MIN_VALUES, MISSING_RATE_JUMP } from './rules.js';

export type EffectMetric = 'psi' | 'ks' | 'wasserstein';

export interface DriftOptions {
  reference: string;
  current: string;
  /** The columns to compare (default: every column of the reference less `ignore`), as --features. */
  features?: string[];
  /** Columns that are not features (ids, timestamps), as --ignore. */
  ignore?: string[];
  /** @deprecated the old name of `features`. */
  columns?: string[];
  /** @deprecated the old name of `ignore`. */
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
  /** A column needs this many non-missing values in each file to be tested (default MIN_VALUES). */
  minValues?: number;
  /** Called with each warning (bad rows skipped in a file). */
  onWarning?: (message: string) => void;
}

export interface ColumnDrift {
  column: string;
  type: ColumnKind;
  /** Why the column got its type. */
  type_rule: string;
  status: 'tested' | 'skipped';
  reason?: string;
  /** ks or chi2 on the values; missing_rate when only the missing-value rule could judge the column. */
  test?: 'ks' | 'chi2' | 'missing_rate';
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
  /** Share of rows with the value missing (null when the column is in one file only). */
  reference_missing_rate: number | null;
  current_missing_rate: number | null;
  /** Chi-square p-value on missing/present counts, when the rate moved by MISSING_RATE_JUMP or more. */
  missing_pvalue?: number;
  /** Drift by the missing-value rule (see MISSING_RATE_JUMP). */
  missing_drift: boolean;
  unseen_categories?: string[];
  drifted: boolean;
  chart?: ChartData;
}

export interface DriftResult {
  /** rows: the good data rows compared; skipped_rows: bad rows (broken quoting, wrong field count) left out. */
  reference: { path: string; rows: number; skipped_rows: number };
  current: { path: string; rows: number; skipped_rows: number };
  settings: {
    alpha: number;
    correction: Correction;
    alternative: Alternative;
    method: KsMethod;
    min_effect: number | null;
    effect_metric: EffectMetric;
    drift_share: number;
    min_values: number;
    missing_rate_jump: number;
  };
  columns: ColumnDrift[];
  tested: number;
  drifted: number;
  drift_share: number;
  dataset_drift: boolean;
}

export async function detectDrift(options: DriftOptions): Promise<DriftResult> {
  checkThresholds(options);
  const inputs = await openInputs(options.reference, options.current);
  try {
    const result = await detectDriftIn({
      ...options,
      reference: inputs.reference.path,
      current: inputs.current.path,
      onWarning: (message) => options.onWarning?.(inputs.relabelText(message)),
    });
    result.reference.path = options.reference;
    result.current.path = options.current;
    return result;
  } catch (err) {
    throw inputs.relabel(err);
  } finally {
    await inputs.cleanup();
  }
}

const SAMPLE_ROWS = 1000;

async function detectDriftIn(options: DriftOptions): Promise<DriftResult> {
  const alpha = options.alpha ?? 0.05;
  const correction = options.correction ?? 'none';
  const alternative = options.alternative ?? 'two-sided';
  const method = options.method ?? 'auto';
  const effectMetric = options.effectMetric ?? 'psi';
  const driftShare = options.driftShare ?? 0.5;
  const minValues = options.minValues ?? MIN_VALUES;
  const refHeader = await readHeader(options.reference);
  const curHeader = await readHeader(options.current);
  // An empty file is an input error, said of that file: not "0 of 0 columns drifted", and not
  // every column typed numerical for want of values, then blamed on the other file's first word.
  const refSample = await readSample(options.reference, SAMPLE_ROWS);
  if (refSample.length === 0) {
    throw new MlopsError(
      'DRIFT_EMPTY_INPUT',
      `reference data ${options.reference} has no data rows (only a header): nothing to compare against`,
      { hint: 'pass the data the model was trained or validated on' },
    );
  }
  const curSample = await readSample(options.current, SAMPLE_ROWS);
  if (curSample.length === 0) {
    throw new MlopsError(
      'DRIFT_EMPTY_INPUT',
      `current data ${options.current} has no data rows (only a header): nothing to test`,
      { hint: 'check the job that wrote it; an empty batch has no drift to measure' },
    );
  }
  const inCurrent = new Set(curHeader.header);
  const inReference = new Set(refHeader.header);
  const features = options.features ?? options.columns;
  const ignore = options.ignore ?? options.exclude ?? [];
  const requested = selectColumns(options.reference, refHeader.header, { features, ignore }, curHeader.header);
  for (const name of [...(features ?? []), ...(options.categorical ?? []), ...(options.numerical ?? [])]) {
    if (!inReference.has(name) || !inCurrent.has(name)) {
      throw new MlopsError(
        'CSV_COLUMNS_MISSING',
        `column "${name}" is not in ${!inReference.has(name) ? options.reference : options.current}`,
        {
          hint: `columns of the reference: ${refHeader.header.slice(0, 12).join(', ')}${refHeader.header.length > 12 ? ', ...' : ''}`,
        },
      );
    }
  }
  const results: ColumnDrift[] = [];
  const toRead: Array<{ name: string; kind: ColumnKind; rule: string }> = [];
  for (const name of requested) {
    if (!inCurrent.has(name)) {
      // A feature the current data lost is drift, as much as one that went 100 % missing.
      const { kind } = detectKind(refSample.map((r) => r[refHeader.header.indexOf(name)] ?? ''));
      results.push({
        ...lostColumn(name, `${options.current} has no column "${name}": the feature is gone`),
        type: kind,
      });
      continue;
    }
    const kind = options.categorical?.includes(name)
      ? { kind: 'categorical' as const, rule: '--categorical' }
      : options.numerical?.includes(name)
        ? { kind: 'numerical' as const, rule: '--numerical' }
        : kindFromSamples(refSample, refHeader.header.indexOf(name), curSample, curHeader.header.indexOf(name));
    toRead.push({ name, ...kind });
  }
  for (const name of curHeader.header) {
    if (!inReference.has(name) && !ignore.includes(name) && !features) {
      results.push(oneSided(name, `only in the current data (${options.reference} has no column "${name}")`));
    }
  }
  if (toRead.length === 0) {
    throw new MlopsError(
      'DRIFT_NO_COMMON_COLUMNS',
      `${options.reference} and ${options.current} have no column in common to compare`,
      {
        hint: `reference columns: ${refHeader.header.slice(0, 8).join(', ')}; current columns: ${curHeader.header.slice(0, 8).join(', ')}`,
      },
    );
  }
  const [refRead, curRead] = await Promise.all([
    readColumns(
      options.reference,
      refHeader,
      toRead.map(({ name, kind }) => ({ name, kind })),
    ),
    readColumns(
      options.current,
      curHeader,
      toRead.map(({ name, kind }) => ({ name, kind })),
    ),
  ]);
  const [ref, cur] = [refRead.columns, curRead.columns];
  for (const [read, what] of [
    [refRead, 'reference data'],
    [curRead, 'current data'],
  ] as const) {
    const note = skippedRowsNote(read, what);
    if (note) options.onWarning?.(note);
  }
  const refRows = ref[0].count + ref[0].missing;
  const curRows = cur[0].count + cur[0].missing;
  const settings = { alternative, method, alpha, minValues };
  toRead.forEach((col, k) =>
    results.push(judgeColumn(col.name, col.kind, col.rule, ref[k], cur[k], refRows, curRows, settings)),
  );

  const tested = results.filter((r) => r.status === 'tested');
  if (tested.length === 0) {
    // Grouped by reason: with 40 columns and one row, one line says it all.
    const byReason = new Map<string, string[]>();
    for (const r of results) byReason.set(r.reason ?? '', [...(byReason.get(r.reason ?? '') ?? []), r.column]);
    const why = [...byReason].map(
      ([reason, columns]) =>
        `${reason} (${columns.slice(0, 8).join(', ')}${columns.length > 8 ? `, and ${columns.length - 8} more` : ''})`,
    );
    throw new MlopsError(
      'DRIFT_NOTHING_TESTED',
      `no column could be tested, so there is no verdict: ${why.join('; ')}`,
      {
        hint: `a column needs at least ${minValues} non-missing values in both ${options.reference} and ${options.current}; pass more rows, or lower \`minValues\` (less reliable)`,
      },
    );
  }
  // Corrections apply to the distribution tests; the missing-value rule has its own threshold.
  const distribution = tested.filter((r) => r.test !== 'missing_rate');
  const corrected = correctPValues(
    distribution.map((r) => r.pvalue!),
    correction,
  );
  distribution.forEach((r, i) => {
    r.pvalue_corrected = corrected[i];
    const effect =
      effectMetric === 'psi' || r.type === 'categorical'
        ? r.psi!
        : effectMetric === 'ks'
          ? r.ks_d!
          : (r.wasserstein_norm ?? 0);
    r.drifted =
      r.missing_drift || (corrected[i] < alpha && (options.minEffect === undefined || effect > options.minEffect));
  });
  const drifted = tested.filter((r) => r.drifted).length;
  const share = drifted / tested.length;
  // Most severe first: drifted, then by p-value, then by effect.
  results.sort(
    (a, b) => Number(b.drifted) - Number(a.drifted) || (a.pvalue ?? 2) - (b.pvalue ?? 2) || (b.psi ?? 0) - (a.psi ?? 0),
  );
  return {
    reference: { path: options.reference, rows: refRows, skipped_rows: refRead.skipped },
    current: { path: options.current, rows: curRows, skipped_rows: curRead.skipped },
    settings: {
      alpha,
      correction,
      alternative,
      method,
      min_effect: options.minEffect ?? null,
      effect_metric: effectMetric,
      drift_share: driftShare,
      min_values: minValues,
      missing_rate_jump: MISSING_RATE_JUMP,
    },
    columns: results,
    tested: tested.length,
    drifted,
    drift_share: share,
    dataset_drift: share >= driftShare,
  };
}

/** Type from the reference's first rows; from the current's when the reference has no value there. */
function kindFromSamples(
  refSample: string[][],
  refIndex: number,
  curSample: string[][],
  curIndex: number,
): { kind: ColumnKind; rule: string } {
  const refValues = refSample.map((r) => r[refIndex] ?? '');
  if (refValues.some((v) => !isMissingCell(v))) return detectKind(refValues);
  const curValues = curSample.map((r) => r[curIndex] ?? '');
  if (curValues.some((v) => !isMissingCell(v))) {
    const k = detectKind(curValues);
    return { kind: k.kind, rule: `${k.rule} in the current data (none in the first ${SAMPLE_ROWS} reference rows)` };
  }
  return {
    kind: 'numerical',
    rule: `no values in the first ${SAMPLE_ROWS} rows of either file (pass --categorical if it holds categories)`,
  };
}

function lostColumn(name: string, reason: string): ColumnDrift {
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

function oneSided(name: string, reason: string): ColumnDrift {
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

function judgeColumn(
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

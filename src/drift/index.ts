/** `mlops drift`: per-column tests between a reference and a current CSV, and a dataset verdict. */
import { MlopsError } from '../util/errors.js';
import { correctPValues } from '../stats/effect-size.js';
import { detectKind, readColumns, readHeader, readSample, type ColumnKind } from './read-columns.js';
import { skippedRowsNote } from '../table/bounded-rows.js';
import { selectColumns } from '../table/column-map.js';
import { isMissingCell } from '../table/cell-values.js';
import { openInputs } from './inputs.js';
import { nestedColumns, refuseNested } from '../table/nested-columns.js';
import { checkThresholds, MIN_VALUES, MISSING_RATE_JUMP } from './rules.js';
import { judgeColumn, lostColumn, oneSided } from './judge-column.js';
import type { ColumnDrift, DriftOptions, DriftResult } from './types.js';

export { MIN_VALUES, MISSING_RATE_JUMP } from './rules.js';
export type { ColumnDrift, DriftOptions, DriftResult, EffectMetric } from './types.js';

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
  const refHeader = await readHeader(options.reference, options.inputFormat);
  const curHeader = await readHeader(options.current, options.inputFormat);
  // An empty file is an input error, said of that file: not "0 of 0 columns drifted", and not
  // every column typed numerical for want of values, then blamed on the other file's first word.
  const refSample = await readSample(options.reference, SAMPLE_ROWS, options.inputFormat);
  if (refSample.length === 0) {
    throw new MlopsError(
      'DRIFT_EMPTY_INPUT',
      `reference data ${options.reference} has no data rows (only a header): nothing to compare against`,
      { hint: 'pass the data the model was trained or validated on' },
    );
  }
  const curSample = await readSample(options.current, SAMPLE_ROWS, options.inputFormat);
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
  for (const [file, header] of [
    [options.reference, refHeader],
    [options.current, curHeader],
  ] as const)
    refuseNested(
      file,
      nestedColumns(header),
      toRead.map((c) => c.name),
      'leave it out with `ignore`, or name the columns to compare with `features`',
    );
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

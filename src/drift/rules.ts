/**
 * The rules that decide what drift can test, stated once: the CLI help, the
 * README and the reports quote these numbers.
 */
import type { DriftOptions } from './types.js';
import { MlopsError } from '../util/errors.js';
import { checkFeaturesAndIgnore } from '../table/column-map.js';

/**
 * Fewer non-missing values than this in the reference or the current data,
 * and a column is "not tested: too few values". Why 30: at 30 values a side
 * the two-sample KS test at alpha 0.05 only notices a gap of 0.35 between
 * the two CDFs (critical D = 1.36 * sqrt(2/30)), about the least that is
 * worth testing; below 4 a side it cannot reach p < 0.05 at all. Chi-square
 * needs about 5 expected values per category (Cochran's rule), which a few
 * categories on 30 values meet. scipy and Evidently compute a p-value on any
 * sample size, which is how 1 row used to read as "no drift".
 */
export const MIN_VALUES = 30;

/**
 * A column drifts on missing values when its missing rate moves by at least
 * this much (10 percentage points) and a chi-square test on missing/present
 * counts (scipy's chi2_contingency) gives p < alpha; a column with values in
 * the reference and none in the current data is drift outright. The test
 * keeps small files from flagging noise; the jump keeps huge files from
 * flagging a 0.1-point change.
 */
export const MISSING_RATE_JUMP = 0.1;

/** The options checked before any file is read. */
export type DriftThresholds = Pick<
  DriftOptions,
  | 'alpha'
  | 'driftShare'
  | 'minEffect'
  | 'minValues'
  | 'features'
  | 'ignore'
  | 'columns'
  | 'exclude'
  | 'categorical'
  | 'numerical'
>;

/** For library callers; the CLI's parsers reject the same values first, naming the flag. */
export function checkThresholds(o: DriftThresholds): void {
  const bad = (message: string) => new MlopsError('OPTION_INVALID', message);
  if (o.alpha !== undefined && !(o.alpha > 0 && o.alpha < 1))
    throw bad(`\`alpha\` must be between 0 and 1 (exclusive), got ${o.alpha}`);
  if (o.driftShare !== undefined && !(o.driftShare > 0 && o.driftShare <= 1))
    throw bad(`\`driftShare\` must be above 0 and at most 1, got ${o.driftShare}`);
  if (o.minEffect !== undefined && !(o.minEffect >= 0)) throw bad(`\`minEffect\` must be >= 0, got ${o.minEffect}`);
  if (o.minValues !== undefined && !(Number.isInteger(o.minValues) && o.minValues >= 2))
    throw bad(`\`minValues\` (values per column) must be an integer >= 2, got ${o.minValues}`);
  const overlap = (a: string[] | undefined, b: string[] | undefined, options: string) => {
    const both = (a ?? []).find((name) => (b ?? []).includes(name));
    if (both !== undefined) throw new MlopsError('OPTIONS_CONFLICT', `column "${both}" is given to both ${options}`);
  };
  overlap(o.categorical, o.numerical, '`categorical` and `numerical`');
  checkFeaturesAndIgnore(o.features ?? o.columns, o.ignore ?? o.exclude);
}

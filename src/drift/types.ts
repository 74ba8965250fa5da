/** What drift takes and what it gives back: the options, one column's verdict, the dataset's. */
import type { Alternative, KsMethod } from '../stats/ks.js';
import type { Correction } from '../stats/effect-size.js';
import type { ColumnKind } from './read-columns.js';
import type { ChartData } from './charts.js';
import type { TableFormat } from '../table/table-format.js';

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
  /** `--input-format`: read the tables as this format (a file not in it is refused); by default, by their first bytes. */
  inputFormat?: TableFormat;
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

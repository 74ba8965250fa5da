/** Run a model over a labelled CSV and compute one metric. */
import { loadModel, type LoadedModel } from '../models/load-model.js';
import { stripZipMap, type ZipMapRewrite } from '../onnx/zipmap.js';
import { openSession } from '../runtime/session.js';
import { readBoundedRows, type BoundedRows } from '../table/bounded-rows.js';
import { isMissingCell, parseFloatCell, quoteCell } from '../table/cell-values.js';
import type { RecordedFeatures } from '../onnx/load-model.js';
import { sampleFeeds } from '../table/feeds.js';
import { refuseNested } from '../table/nested-columns.js';
import { accuracy, f1, mae, rmse, rocAuc } from '../stats/metrics.js';
import { MlopsError } from '../util/errors.js';
import type { MetricName } from './config.js';
import type { Tensor } from '../onnx/tensor.js';
import { formatCount } from '../util/format-number.js';

export interface MetricOptions {
  data: string;
  label: string;
  metric: MetricName;
  output?: string;
  features?: string[];
  ignore?: string[];
  registry?: string;
  /** Told when the metric ran on a sample of the file, bad rows were skipped, or features were taken by column order. */
  onNote?: (message: string) => void;
  /**
   * The feature list to map columns by when the model records none of its own:
   * a baseline model is scored on the same columns as the model it is compared with.
   */
  fallbackFeatures?: RecordedFeatures;
}

/**
 * Rows a metric is computed on at most. A metric is a statistic of the whole
 * hold-out set, so a larger file is sampled uniformly (the same rows every
 * run); memory stays that of these rows whatever the file size.
 */
export const METRIC_ROWS = 100_000;

/** `model`: a path or registry reference, or the model the checklist already loaded. */
export async function evaluateMetric(model: string | LoadedModel, options: MetricOptions): Promise<number> {
  const loaded = typeof model === 'string' ? await loadModel(model, { registry: options.registry }) : model;
  let zipmaps: ZipMapRewrite[] = [];
  const session = await openSession(loaded, { transform: (m) => (zipmaps = stripZipMap(m)) });
  try {
    // Bad rows are skipped and counted, as in every sample; only a parity check, whose rows pair with another file's, refuses them.
    const table = await readBoundedRows(options.data, { limit: METRIC_ROWS, pick: 'reservoir', badRows: 'skip' });
    if (table.totalRows > table.rows.length)
      options.onNote?.(`on a sample of ${formatCount(table.rows.length)} of ${formatCount(table.totalRows)} rows`);
    // No rows would make the metric NaN, which then fails (or passes a baseline comparison) for the wrong reason.
    if (table.rows.length === 0 && table.skipped === 0)
      throw new MlopsError(
        'CSV_EMPTY',
        `${options.data} has no data rows (only a header): the ${options.metric} check needs labelled rows`,
        { hint: 'point data: at the hold-out set' },
      );
    const labelIndex = table.header.indexOf(options.label);
    if (labelIndex < 0)
      throw new MlopsError('CSV_COLUMNS_MISSING', `${options.data} has no label column "${options.label}"`);
    refuseNested(options.data, table.nested, [options.label], 'point label: at a column of plain values');
    const regression = options.metric === 'rmse' || options.metric === 'mae';
    const sample = sampleFeeds(
      labelledRows(table, labelIndex, regression),
      session.inputs,
      {
        features: options.features,
        ignore: options.ignore,
        setAside: [options.label],
        recordedFeatures: loaded.recordedFeatures ?? options.fallbackFeatures,
        onWarning: options.onNote,
      },
      'metric data',
    );
    if (sample.note) options.onNote?.(sample.note);
    if (sample.table.rows.length === 0)
      throw new MlopsError('CSV_EMPTY', `${options.data} has no usable rows: ${sample.note}`, {
        hint: 'fix the rows, or point data: at the hold-out set',
      });
    const feeds = sample.feeds;
    const outputs = await session.run(feeds);
    const truth = sample.table.rows.map((r) => canonicalLabel(r[labelIndex]));
    const names = Object.keys(outputs);
    // With `output`, that output answers every question it fits, and only those (a label output is not scores).
    const pick = (pred: (t: Tensor) => boolean) => {
      if (!options.output) return names.map((n) => outputs[n]).find(pred);
      const named = outputs[options.output];
      return named && pred(named) ? named : undefined;
    };
    if (options.output && !outputs[options.output])
      throw new MlopsError(
        'CHECKLIST_OUTPUT',
        `model has no output "${options.output}" (outputs: ${names.join(', ')})`,
      );
    const scores = pick((t) => t.dims.length === 2 && t.dims[1] > 1 && (t.type === 'float32' || t.type === 'float64'));
    if (regression) {
      const values = pick((t) => t.type.startsWith('float') && (t.dims.length === 1 || t.dims[1] === 1));
      if (!values) throw new MlopsError('CHECKLIST_OUTPUT', `no [N] or [N, 1] float output for ${options.metric}`);
      const predicted = Array.from(values.data as Float32Array, Number);
      const y = truth.map(Number);
      return options.metric === 'rmse' ? rmse(y, predicted) : mae(y, predicted);
    }
    // Classes: a label output (ZipMap classifiers) or the argmax of the score columns (as class index or label).
    const labelOutput = pick((t) => t.dims.length === 1 && !t.type.startsWith('float'));
    const labels = zipmaps[0]?.labels;
    let predicted: string[];
    if (labelOutput) predicted = Array.from(labelOutput.data as ArrayLike<unknown>, (v) => canonicalLabel(String(v)));
    else if (scores) {
      const k = scores.dims[1];
      const data = scores.data as Float32Array;
      predicted = truth.map((_, r) => {
        let best = 0;
        for (let j = 1; j < k; j++) if (data[r * k + j] > data[r * k + best]) best = j;
        return canonicalLabel(String(labels?.[best] ?? best));
      });
    } else
      throw new MlopsError(
        'CHECKLIST_OUTPUT',
        options.output
          ? `output "${options.output}" is neither class labels ([N], not float) nor [N, K] scores`
          : 'no class output: expected a label output or [N, K] scores',
      );
    if (options.metric === 'accuracy') return accuracy(truth, predicted);
    if (options.metric === 'f1') return f1(truth, predicted);
    if (scores?.dims[1] !== 2)
      throw new MlopsError('CHECKLIST_OUTPUT', 'auc needs a binary classifier with [N, 2] scores');
    return rocAuc(
      truth,
      Array.from({ length: truth.length }, (_, r) => (scores.data as Float32Array)[r * 2 + 1]),
    );
  } finally {
    await session.release();
  }
}

/**
 * The rows whose label can be scored. A missing label (empty, NaN, NA...) or,
 * for a regression metric, one that is not a number is a bad row: skipped and
 * counted with the sample's other bad rows, never read as 0 or as a wrong class.
 */
function labelledRows(table: BoundedRows, labelIndex: number, numeric: boolean): BoundedRows {
  const kept: BoundedRows = { ...table, rows: [], lines: [] };
  table.rows.forEach((row, r) => {
    const label = row[labelIndex] ?? '';
    const problem = isMissingCell(label)
      ? `a missing label (${label.trim() === '' ? 'empty' : quoteCell(label)})`
      : numeric && parseFloatCell(label) === undefined
        ? `label ${quoteCell(label)} is not a number`
        : undefined;
    if (!problem) {
      kept.rows.push(row);
      kept.lines.push(table.lines[r]);
      return;
    }
    kept.skipped++;
    if (!kept.firstSkipped || table.lines[r] < kept.firstSkipped.line)
      kept.firstSkipped = { line: table.lines[r], reason: `column "${table.header[labelIndex]}": ${problem}` };
  });
  return kept;
}

/** Classes compare by value when they are numbers: pandas writes class 1 as "1.0", a model's argmax gives 1. */
function canonicalLabel(text: string): string {
  const n = parseFloatCell(text);
  return n === undefined ? text.trim() : String(n);
}

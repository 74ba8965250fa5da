import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLEAR_LINE,
  formatDuration,
  renderPredictProgress,
  renderPredictSummary,
  renderPredictWarning,
} from '../../src/report/predict.js';
import type { FileSummary } from '../../src/predict/index.js';

const file = (output: string): FileSummary => ({
  input: 'in.csv',
  output,
  rows_read: 0,
  rows_written: 0,
  rows_rejected: 0,
  rejects_file: null,
  shard: null,
  feature_source: 'numeric columns',
  features: [],
  kept: [],
  output_columns: [],
  batch_size: 4096,
});
const timings = (total: number) => ({
  parse: 0,
  infer: 0,
  infer_main_thread: 0,
  infer_wait: 0,
  format: 0,
  write: 0,
  total,
});

test('durations: tenths of a second below a minute, then minutes and seconds', () => {
  assert.equal(formatDuration(0), '0.0 s');
  assert.equal(formatDuration(912.4), '0.9 s');
  assert.equal(formatDuration(59_949), '59.9 s');
  assert.equal(formatDuration(61_600), '1 min 2 s');
  assert.equal(formatDuration(3_600_000), '60 min 0 s');
});

test('progress line: share of bytes, MB, rows, rows/s and ETA, no line end (it is redrawn)', () => {
  const line = renderPredictProgress({
    file: 'data.csv',
    bytesDone: 25_000_000,
    bytesTotal: 100_000_000,
    rows: 1_234_567,
    elapsedMs: 2000,
  });
  assert.equal(line, 'data.csv: 25.0% 25/100 MB, 1,234,567 rows, 617,284 rows/s, ETA 6.0 s');
});

test('progress line: an empty file (0 bytes to read) and the first instant (0 ms) neither divide by zero nor overshoot', () => {
  assert.equal(
    renderPredictProgress({ file: 'e.csv', bytesDone: 0, bytesTotal: 0, rows: 0, elapsedMs: 0 }),
    'e.csv: 0.0% 0/0 MB, 0 rows, 0 rows/s, ETA 0.0 s',
  );
  // The reader can be a little past a shard's end (it finishes the row it started).
  assert.match(
    renderPredictProgress({ file: 's.csv', bytesDone: 120, bytesTotal: 100, rows: 3, elapsedMs: 0 }),
    /^s\.csv: 100\.0% .* 3,000 rows\/s, ETA 0\.0 s$/,
  );
});

test('summary: rows (singular for one), rejected only when some were, duration, rate and where they went', () => {
  assert.equal(
    renderPredictSummary({
      files: [file('preds.csv')],
      rows_written: 300_000,
      rows_rejected: 0,
      timings_ms: timings(912),
      rows_per_second: 335_210,
    }),
    'predicted 300,000 rows in 0.9 s (335,210 rows/s) -> preds.csv\n',
  );
  assert.equal(
    renderPredictSummary({
      files: [file('-')],
      rows_written: 1,
      rows_rejected: 1200,
      timings_ms: timings(75_000),
      rows_per_second: 0,
    }),
    'predicted 1 row (1,200 rejected) in 1 min 15 s (0 rows/s) -> stdout\n',
  );
  assert.equal(
    renderPredictSummary({
      files: [file('out/a.csv'), file('out/b.csv')],
      rows_written: 0,
      rows_rejected: 0,
      timings_ms: timings(10),
      rows_per_second: 0,
    }),
    'predicted 0 rows in 0.0 s (0 rows/s) -> 2 files\n',
  );
});

test('warnings clear the progress line first when one is drawn', () => {
  assert.equal(renderPredictWarning('slow model', false), 'warning: slow model\n');
  assert.equal(renderPredictWarning('slow model', true), `${CLEAR_LINE}warning: slow model\n`);
});

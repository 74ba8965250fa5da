/**
 * predict-batch on stderr: the progress line redrawn in place while it runs,
 * and the one-line summary when it is done. Pure: the command decides when
 * to draw and where it goes.
 */
import type { PredictBatchResult, PredictProgress } from '../predict/types.js';
import { formatCount } from '../util/format-number.js';

/** Moves to the start of the line and clears it, so a redraw (or a warning) replaces the progress line. */
export const CLEAR_LINE = '\r\u001b[2K';

export function formatDuration(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const count = formatCount;

/**
 * `data.csv: 41.3% 36/87 MB, 123,904 rows, 412,000 rows/s, ETA 0.4 s` (no line end: it is redrawn);
 * a Parquet file counts rows of rows: `data.parquet: 41.3% 123,904/300,000 rows, 412,000 rows/s, ETA 0.4 s`.
 */
export function renderPredictProgress(p: PredictProgress): string {
  const rate = p.rows / Math.max(p.elapsedMs / 1000, 1e-3);
  // stdin: no size to measure against, so no share and no ETA.
  if (p.bytesTotal === undefined)
    return `${p.file}: ${(p.bytesDone / 1e6).toFixed(0)} MB, ${count(p.rows)} rows, ${count(Math.round(rate))} rows/s`;
  const share = p.bytesTotal ? Math.min(1, p.bytesDone / p.bytesTotal) : 0;
  const eta = share > 0 ? (p.elapsedMs * (1 - share)) / share : 0;
  const done =
    p.unit === 'rows'
      ? `${count(p.bytesDone)}/${count(p.bytesTotal)} rows`
      : `${(p.bytesDone / 1e6).toFixed(0)}/${(p.bytesTotal / 1e6).toFixed(0)} MB, ${count(p.rows)} rows`;
  return `${p.file}: ${(share * 100).toFixed(1)}% ${done}, ${count(Math.round(rate))} rows/s, ETA ${formatDuration(eta)}`;
}

/** `predicted 300,000 rows (12 rejected) in 0.9 s (335,210 rows/s) -> preds.csv`, with its line end. */
export function renderPredictSummary(
  r: Pick<PredictBatchResult, 'files' | 'rows_written' | 'rows_rejected' | 'timings_ms' | 'rows_per_second'>,
): string {
  const where = r.files.length === 1 ? r.files[0].output : `${r.files.length} files`;
  const rejected = r.rows_rejected ? ` (${count(r.rows_rejected)} rejected)` : '';
  return `predicted ${count(r.rows_written)} row${r.rows_written === 1 ? '' : 's'}${rejected} in ${formatDuration(r.timings_ms.total)} (${count(r.rows_per_second)} rows/s) -> ${where === '-' ? 'stdout' : where}\n`;
}

/** A warning on its own line; over the progress line when one is drawn. */
export function renderPredictWarning(message: string, progressShown: boolean): string {
  return `${progressShown ? CLEAR_LINE : ''}warning: ${message}\n`;
}

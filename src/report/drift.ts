/** Drift renderers: terminal table, Markdown (PR comments, $GITHUB_STEP_SUMMARY), self-contained HTML. */
import type { ColumnDrift, DriftResult } from '../drift/index.js';
import type { ChartData } from '../drift/charts.js';
import { paint, type RenderOptions } from './style.js';
import { renderTable } from './table.js';

function p(x: number | undefined): string {
  if (x === undefined) return '-';
  if (x === 0) return '0';
  return x < 1e-4 ? x.toExponential(2) : x.toPrecision(3);
}

function effect(c: ColumnDrift): string {
  if (c.psi === undefined) return '-';
  const parts = [`PSI ${c.psi.toFixed(3)}`];
  if (c.ks_d !== undefined) parts.push(`D ${c.ks_d.toFixed(3)}`);
  if (c.wasserstein_norm !== undefined && c.wasserstein_norm !== null)
    parts.push(`W/sd ${c.wasserstein_norm.toFixed(3)}`);
  return parts.join(', ');
}

/** Missing-value rates, reference -> current: "0 % -> 100 %". */
function missingRates(c: ColumnDrift): string {
  if (c.reference_missing_rate === null || c.current_missing_rate === null) return '-';
  const pct = (x: number) => `${x === 0 || x === 1 ? x * 100 : Number((x * 100).toPrecision(2))} %`;
  return `${pct(c.reference_missing_rate)} -> ${pct(c.current_missing_rate)}`;
}

function testName(c: ColumnDrift): string {
  if (c.status === 'skipped') return `not tested: ${c.reason}`;
  if (c.test === 'missing_rate') return `missing rate (${c.method}): ${c.reason}`;
  return `${c.test} (${c.method})`;
}

/** The rules behind the verdict, said in every report. */
function rules(r: DriftResult): string {
  const untested = r.columns.filter((c) => c.status === 'skipped').length;
  return `Minimum sample: at least ${r.settings.min_values} values per column in each file${untested ? ` (${untested} column${untested === 1 ? '' : 's'} not tested)` : ''}. Missing values: a rate that moves by ${r.settings.missing_rate_jump * 100} points or more (chi-square p < alpha), or a column empty in the current data, is drift.`;
}

/** "current.csv: 2 bad rows skipped (...)" per file that had any: the verdict is on the other rows. */
function skippedRows(r: DriftResult): string[] {
  return [r.reference, r.current]
    .filter((f) => f.skipped_rows > 0)
    .map(
      (f) =>
        `${f.path}: ${f.skipped_rows} bad row${f.skipped_rows === 1 ? '' : 's'} skipped (broken quoting or a wrong number of fields); ${f.rows} rows compared`,
    );
}

/** " (N rows)" or " (N rows, M bad rows skipped)". */
function rowCount(f: DriftResult['reference']): string {
  return f.skipped_rows > 0 ? `(${f.rows} rows, ${f.skipped_rows} bad rows skipped)` : `(${f.rows} rows)`;
}

function verdict(r: DriftResult): string {
  return `${r.drifted} of ${r.tested} columns drifted (${(r.drift_share * 100).toFixed(0)} %, threshold ${(r.settings.drift_share * 100).toFixed(0)} %): ${r.dataset_drift ? 'DATASET DRIFT' : 'no dataset drift'}`;
}

export function renderDriftTable(r: DriftResult, options: RenderOptions): string {
  const corrected = r.settings.correction !== 'none';
  const rows = r.columns.map((c) => [
    c.column,
    c.type,
    c.status === 'skipped' ? paint(options, 'dim', testName(c)) : testName(c),
    c.statistic === undefined ? '-' : c.statistic.toPrecision(4),
    p(c.pvalue),
    ...(corrected ? [p(c.pvalue_corrected)] : []),
    effect(c),
    missingRates(c),
    c.status === 'skipped' ? '' : c.drifted ? paint(options, 'red', 'DRIFT') : paint(options, 'green', 'ok'),
  ]);
  const head = [
    'column',
    'type',
    'test',
    'statistic',
    'p-value',
    ...(corrected ? [`p (${r.settings.correction})`] : []),
    'effect',
    'missing',
    'drifted',
  ];
  const notes = r.columns
    .filter((c) => c.unseen_categories?.length)
    .map(
      (c) =>
        `${c.column}: categories not in the reference: ${c.unseen_categories!.slice(0, 10).join(', ')}${c.unseen_categories!.length > 10 ? ', ...' : ''}`,
    );
  const line = r.dataset_drift ? paint(options, 'red', verdict(r)) : paint(options, 'green', verdict(r));
  return [renderTable(head, rows, options), ...notes, ...skippedRows(r), rules(r), line].join('\n') + '\n';
}

export function renderDriftMarkdown(r: DriftResult): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    `### Drift: ${r.dataset_drift ? '🔴 dataset drift' : '🟢 no dataset drift'}`,
    '',
    `${verdict(r)}. Reference \`${r.reference.path}\` ${rowCount(r.reference)}, current \`${r.current.path}\` ${rowCount(r.current)}; alpha ${r.settings.alpha}, correction ${r.settings.correction}.`,
    '',
    rules(r),
    '',
    '| column | type | test | statistic | p-value | effect | missing | drifted |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.columns.map(
      (c) =>
        `| ${esc(c.column)} | ${c.type} | ${esc(testName(c))} | ${c.statistic === undefined ? '-' : c.statistic.toPrecision(4)} | ${p(c.pvalue_corrected ?? c.pvalue)} | ${effect(c)} | ${missingRates(c)} | ${c.status === 'skipped' ? '' : c.drifted ? '**yes**' : 'no'} |`,
    ),
  ];
  return lines.join('\n') + '\n';
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** Overlaid reference/current shares as an inline SVG (no scripts, no network). */
function svgChart(chart: ChartData, column: string): string {
  const W = 520;
  const H = 200;
  const pad = { l: 40, r: 10, t: 10, b: 40 };
  const n = chart.reference.length;
  const max = Math.max(...chart.reference, ...chart.current, 1e-9);
  const x = (i: number) => pad.l + ((W - pad.l - pad.r) * i) / n;
  const y = (v: number) => H - pad.b - ((H - pad.t - pad.b) * v) / max;
  const bw = (W - pad.l - pad.r) / n;
  const bars: string[] = [];
  for (let i = 0; i < n; i++) {
    const [r, c] = [chart.reference[i], chart.current[i]];
    if (chart.kind === 'histogram') {
      bars.push(
        `<rect class="ref" x="${x(i).toFixed(1)}" y="${y(r).toFixed(1)}" width="${bw.toFixed(1)}" height="${(H - pad.b - y(r)).toFixed(1)}"/>`,
      );
      bars.push(
        `<rect class="cur" x="${x(i).toFixed(1)}" y="${y(c).toFixed(1)}" width="${bw.toFixed(1)}" height="${(H - pad.b - y(c)).toFixed(1)}"/>`,
      );
    } else {
      bars.push(
        `<rect class="ref" x="${(x(i) + bw * 0.1).toFixed(1)}" y="${y(r).toFixed(1)}" width="${(bw * 0.4).toFixed(1)}" height="${(H - pad.b - y(r)).toFixed(1)}"><title>${escapeHtml(chart.labels![i])}: reference ${(r * 100).toFixed(1)} %</title></rect>`,
      );
      bars.push(
        `<rect class="cur" x="${(x(i) + bw * 0.5).toFixed(1)}" y="${y(c).toFixed(1)}" width="${(bw * 0.4).toFixed(1)}" height="${(H - pad.b - y(c)).toFixed(1)}"><title>${escapeHtml(chart.labels![i])}: current ${(c * 100).toFixed(1)} %</title></rect>`,
      );
    }
  }
  const axis =
    chart.kind === 'histogram'
      ? [0, n / 2, n]
          .map(
            (i, k) =>
              `<text x="${x(i).toFixed(1)}" y="${H - pad.b + 16}" text-anchor="${['start', 'middle', 'end'][k]}">${Number(chart.edges![i].toPrecision(3))}</text>`,
          )
          .join('')
      : chart
          .labels!.map(
            (l, i) =>
              `<text x="${(x(i) + bw / 2).toFixed(1)}" y="${H - pad.b + 16}" text-anchor="middle">${escapeHtml(l.length > 10 ? `${l.slice(0, 9)}…` : l)}</text>`,
          )
          .join('');
  return (
    `<svg class="chart" data-column="${escapeHtml(column)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(column)}: reference vs current">` +
    `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#999"/>` +
    `<text x="${pad.l - 4}" y="${pad.t + 8}" text-anchor="end">${(max * 100).toFixed(0)}%</text>` +
    bars.join('') +
    axis +
    '</svg>'
  );
}

export function renderDriftHtml(r: DriftResult): string {
  const cards = r.columns
    .map((c) => {
      const badge =
        c.status === 'skipped'
          ? '<span class="badge skip">not tested</span>'
          : c.drifted
            ? '<span class="badge drift">drift</span>'
            : '<span class="badge ok">ok</span>';
      const missing = `Missing: ${c.reference_missing} / ${c.current_missing} (${escapeHtml(missingRates(c))})${c.missing_drift ? ', <strong>drift in missing values</strong>' : ''}.`;
      const figures =
        c.status === 'skipped' || c.test === 'missing_rate'
          ? `<p class="muted">${escapeHtml(c.reason ?? '')}. ${missing}</p>`
          : `<p>${c.test === 'ks' ? 'Kolmogorov-Smirnov' : 'chi-square'} (${escapeHtml(c.method ?? '')}): statistic ${c.statistic!.toPrecision(4)}, p-value ${p(c.pvalue)}${r.settings.correction !== 'none' ? `, corrected ${p(c.pvalue_corrected)}` : ''}; ${escapeHtml(effect(c))}. ${missing}</p>` +
            (c.unseen_categories?.length
              ? `<p>Not in the reference: ${c.unseen_categories.slice(0, 20).map(escapeHtml).join(', ')}</p>`
              : '');
      return `<section class="column ${c.drifted ? 'drifted' : ''}"><h2>${escapeHtml(c.column)} <small>${c.type}</small> ${badge}</h2>${figures}${c.chart ? svgChart(c.chart, c.column) : ''}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drift report</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.5rem}.summary{padding:1rem;border-radius:8px;background:${r.dataset_drift ? '#fdecea' : '#e8f5e9'}}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:1rem;margin-top:1rem}
.column{border:1px solid #ddd;border-radius:8px;padding:0.5rem 1rem}.column.drifted{border-color:#d32f2f}
h2{font-size:1.05rem;margin:0.3rem 0}small{color:#777;font-weight:normal}.muted{color:#777}
.badge{font-size:0.75rem;padding:2px 6px;border-radius:4px;color:#fff}.drift{background:#d32f2f}.ok{background:#2e7d32}.skip{background:#999}
svg text{font-size:10px;fill:#555}rect.ref{fill:#1f77b4;fill-opacity:0.55}rect.cur{fill:#ff7f0e;fill-opacity:0.55}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
</style></head><body>
<h1>Drift report</h1>
<div class="summary"><strong>${escapeHtml(verdict(r))}</strong><br>${escapeHtml(rules(r))}<br>Reference ${escapeHtml(r.reference.path)} ${rowCount(r.reference)} vs current ${escapeHtml(r.current.path)} ${rowCount(r.current)}. alpha ${r.settings.alpha}, correction ${r.settings.correction}${r.settings.min_effect !== null ? `, minimum effect ${r.settings.min_effect} (${r.settings.effect_metric})` : ''}.
<div class="legend"><span style="background:#1f77b4;opacity:.55"></span>reference<span style="background:#ff7f0e;opacity:.55"></span>current</div></div>
<div class="grid">
${cards}
</div></body></html>
`;
}

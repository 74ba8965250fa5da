import type { BenchResult } from '../benchmark/index.js';
import type { RenderOptions } from './style.js';
import { formatBytes, renderTable } from './table.js';
import { formatCount } from '../util/format-number.js';

export function renderBench(r: BenchResult, options: RenderOptions): string {
  const ms = (x: number) => x.toFixed(3);
  const rows = r.results.map((b) => [
    b.batch_size,
    b.iterations,
    ms(b.p50_ms),
    ms(b.p95_ms),
    ms(b.p99_ms),
    ms(b.mean_ms),
    formatCount(Math.round(b.throughput_rows_per_s)),
  ]);
  return `${renderTable(['batch', 'runs', 'p50 ms', 'p95 ms', 'p99 ms', 'mean ms', 'rows/s'], rows, options, ['right', 'right', 'right', 'right', 'right', 'right', 'right'])}\n${r.inputs} inputs, peak RSS ${formatBytes(r.peak_rss_bytes)}\n`;
}

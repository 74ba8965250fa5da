/**
 * Drift benchmark: one KS on 1,000,000 vs 1,000,000 values against scipy, and
 * `mlops drift` end to end on a 1,000,000-row x 20-column pair of CSVs against
 * pandas.read_csv + scipy.stats.ks_2samp per column, in the same run.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ks2samp } from '../src/stats/ks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function hasPython(modules: string): boolean {
  return spawnSync('python3', ['-c', `import ${modules}`]).status === 0;
}

async function writeColumns(file: string, rows: number, columns: number, shift: number, seed: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(['id', ...Array.from({ length: columns }, (_, i) => `c${i}`)].join(',') + '\n');
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  let buffer = '';
  for (let r = 0; r < rows; r++) {
    let line = String(r + 1);
    for (let c = 0; c < columns; c++) line += ',' + (next() + (c % 4 === 0 ? shift : 0)).toFixed(6);
    buffer += line + '\n';
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

/** `mlops drift` on the pair, against pandas + ks_2samp per column on the same files. */
async function timeDrift(ref: string, cur: string, what: string, reader: string): Promise<void> {
  const mlops = path.join(ROOT, 'bin', 'mlops');
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    [mlops, 'drift', '--reference', ref, '--current', cur, '--exclude', 'id', '--json', '--no-fail'],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(r.stderr);
  const time = spawnSync(
    '/usr/bin/env',
    [
      'bash',
      '-c',
      `command -v /usr/bin/time >/dev/null && /usr/bin/time -f %M ${process.execPath} ${mlops} drift --reference ${ref} --current ${cur} --exclude id --no-fail >/dev/null`,
    ],
    { encoding: 'utf8' },
  );
  const rss = Number(time.stderr.trim().split('\n').pop()) / 1024;
  console.log(
    `drift: 1,000,000 rows x 20 columns, ${what}: mlops drift ${wall.toFixed(2)} s${Number.isFinite(rss) && rss > 0 ? `, peak RSS ${rss.toFixed(0)} MB` : ''}`,
  );
  if (hasPython('pandas, scipy, pyarrow')) {
    const py = JSON.parse(
      spawnSync('python3', [path.join(ROOT, 'bench', 'baseline_drift.py'), ref, cur], { encoding: 'utf8' }).stdout,
    );
    console.log(
      `  ${reader} + ks_2samp per column: ${py.wall_s.toFixed(2)} s (read ${py.read_s.toFixed(2)}), peak RSS ${py.peak_rss_mb.toFixed(0)} MB: ratio ${(wall / py.wall_s).toFixed(2)}x (target < 2)`,
    );
  }
}

/** The CSV as Parquet, written by the DuckDB mlops reads Parquet with. */
async function toParquet(csv: string, parquet: string): Promise<void> {
  const { duckdb, sqlString } = await import('../src/table/parquet/duckdb.js');
  const connection = await duckdb();
  await connection.run(
    `COPY (SELECT * FROM read_csv(${sqlString(csv)}, header = true)) TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION snappy)`,
  );
}

export async function benchDrift(): Promise<void> {
  const n = 1_000_000;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (((i + 1) * 2654435761) % 4294967291) / 4294967291;
    y[i] = (((i + 12345) * 2654435761) % 4294967291) / 4294967291 + 0.001;
  }
  const times: number[] = [];
  let result: ReturnType<typeof ks2samp> | undefined;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    result = ks2samp(x, y);
    times.push(performance.now() - t);
  }
  const ours = times.sort((a, b) => a - b)[1] / 1000;
  console.log(
    `drift: KS 1,000,000 vs 1,000,000 values (sort included), median of 3: ${ours.toFixed(3)} s, D ${result!.statistic}, p ${result!.pvalue.toExponential(4)} (${result!.method})`,
  );
  if (hasPython('scipy')) {
    const py = JSON.parse(
      spawnSync('python3', [path.join(ROOT, 'bench', 'baseline_drift.py'), '--ks', String(n)], { encoding: 'utf8' })
        .stdout,
    );
    console.log(
      `  scipy.stats.ks_2samp: ${py.seconds.toFixed(3)} s (D ${py.statistic}, p ${py.pvalue.toExponential(4)}): ratio ${(ours / py.seconds).toFixed(2)}x (target <= 1)`,
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-drift-'));
  try {
    const ref = path.join(dir, 'reference.csv');
    const cur = path.join(dir, 'current.csv');
    await writeColumns(ref, n, 20, 0, 1);
    await writeColumns(cur, n, 20, 0.01, 2);
    spawnSync('sync');
    await timeDrift(ref, cur, 'two CSVs', 'pandas.read_csv');
    // The same data as Parquet (DuckDB, snappy, row groups of 122,880 rows), as pandas reads it with pyarrow.
    const refPq = path.join(dir, 'reference.parquet');
    const curPq = path.join(dir, 'current.parquet');
    await toParquet(ref, refPq);
    await toParquet(cur, curPq);
    spawnSync('sync');
    await timeDrift(refPq, curPq, 'two Parquet files', 'pandas.read_parquet');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchDrift();

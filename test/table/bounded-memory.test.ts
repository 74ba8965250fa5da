/**
 * Memory is bounded by the rows kept, not by the file: a ~45 MB CSV is
 * sampled, counted and read in batches by a process whose JavaScript heap is
 * capped at 24 MB (the old whole-file reader, read-csv-table.ts, ran out of
 * heap on such a file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, tempDir } from '../helpers.js';

test('a ~45 MB CSV through a reservoir sample, first rows and batches, with a 24 MB heap', () => {
  const dir = tempDir('mlops-bounded-mem-');
  const file = path.join(dir, 'big.csv');
  const fd = openSync(file, 'w');
  const header = ['id', ...Array.from({ length: 10 }, (_, i) => `f${i}`)].join(',') + '\n';
  writeSync(fd, header);
  const rowsPerBlock = 10_000;
  let rows = 0;
  for (let _block = 0; rows * 80 < 40 * 1024 * 1024; _block++) {
    const lines: string[] = [];
    for (let r = 0; r < rowsPerBlock; r++, rows++)
      lines.push(
        `${rows},${Array.from({ length: 10 }, (_, i) => ((rows * 7 + i * 13) % 1000) / 7)
          .map((v) => v.toFixed(4))
          .join(',')}`,
      );
    writeSync(fd, lines.join('\n') + '\n');
  }
  closeSync(fd);
  const module = pathToFileURL(path.join(ROOT, 'dist', 'src', 'table', 'bounded-rows.js')).href;
  const script = `
    const { readBoundedRows, rowBatches } = await import(${JSON.stringify(module)});
    const file = ${JSON.stringify(file)};
    const sample = await readBoundedRows(file, { limit: 1000, pick: 'reservoir', badRows: 'skip' });
    const first = await readBoundedRows(file, { limit: 1000, pick: 'first', badRows: 'refuse' });
    let batched = 0;
    for await (const b of rowBatches(file, 4096, 'refuse')) batched += b.rows.length;
    console.log(JSON.stringify({ sample: sample.rows.length, total: sample.totalRows, first: first.totalRows, batched }));
  `;
  const run = spawnSync(process.execPath, ['--max-old-space-size=24', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { sample: 1000, total: rows, first: rows, batched: rows });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readParquetRows } from '../../src/table/parquet/parquet-rows.js';
import { readParquetInfo } from '../../src/table/parquet/parquet-info.js';
import { fixture } from '../helpers.js';

test('two streams of Parquet rows read at once do not cut each other short (a shard reads its sample, then its rows)', async () => {
  const file = fixture('data', 'predict-parquet', 'mlp.parquet');
  const info = await readParquetInfo(file);
  assert.equal(info.rowGroups.length, 4);
  const rows = (lines: number[]) => lines.length;
  const first = readParquetRows(file, info, { chunkRows: 50 });
  const seen: number[] = [];
  const a = await first.next();
  assert.ok(!a.done);
  seen.push(...a.value.lines);
  // Another whole read in between, and a footer read.
  const other: number[] = [];
  for await (const chunk of readParquetRows(file, info, { rows: { start: 100, end: 200 } })) other.push(...chunk.lines);
  assert.equal(rows(other), 100);
  assert.equal((await readParquetInfo(file)).rows, 200);
  for await (const chunk of { [Symbol.asyncIterator]: () => first }) seen.push(...chunk.lines);
  assert.deepEqual(
    seen,
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
});

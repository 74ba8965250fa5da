/**
 * Parquet column names DuckDB would change or cannot take, and the DuckDB
 * settings from the environment. Files: fixtures/make/make_parquet_fixtures.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readHeader, readRows } from '../../src/table/row-reader.js';
import { fixture } from '../helpers.js';

const file = (name: string) => fixture('data', 'parquet', name);

test('a Parquet column name given twice, or none, is refused as in a CSV header (DuckDB would read age_1, C2)', async () => {
  await assert.rejects(readHeader(file('duplicate-names.parquet')), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'CSV_BAD_HEADER');
    assert.match(err.message, /column name "age" appears more than once/);
    return true;
  });
  await assert.rejects(readHeader(file('unnamed.parquet')), /column 2 has no name/);
});

test('a column named file_row_number is read as data, rows numbered and shards cut all the same', async () => {
  const info = await readHeader(file('file-row-number.parquet'));
  assert.deepEqual(info.header, ['file_row_number', 'x']);
  const read = async (rowRange?: { start: number; end: number }) => {
    const cells: string[][] = [];
    const lines: number[] = [];
    for await (const chunk of readRows(file('file-row-number.parquet'), info, { rowRange })) {
      for (let r = 0; r < chunk.count; r++) {
        cells.push(chunk.records!.get(r)!);
        lines.push(chunk.lines[r]);
      }
    }
    return { cells, lines };
  };
  const whole = await read();
  assert.deepEqual(
    whole.cells.map((c) => c[0]),
    Array.from({ length: 10 }, (_, i) => String(100 + i)),
  );
  assert.deepEqual(
    whole.lines,
    Array.from({ length: 10 }, (_, i) => i + 1),
  );
  const shard = await read({ start: 5, end: 10 });
  assert.deepEqual(shard.cells, whole.cells.slice(5));
  assert.deepEqual(shard.lines, [6, 7, 8, 9, 10]);
});

test('a bad MLOPS_DUCKDB_MEMORY or MLOPS_DUCKDB_THREADS is a usage error naming it (exit 2), not a stack', () => {
  for (const [name, value] of [
    ['MLOPS_DUCKDB_MEMORY', 'banana'],
    ['MLOPS_DUCKDB_THREADS', 'abc'],
  ]) {
    const run = spawnSync(
      process.execPath,
      [
        'bin/mlops',
        'drift',
        '--reference',
        file('drift-reference.parquet'),
        '--current',
        file('drift-current.parquet'),
      ],
      { env: { ...process.env, [name]: value }, encoding: 'utf8' },
    );
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`${name} is "${value}"`));
    assert.doesNotMatch(run.stderr, /at .*node_modules|internal error/);
  }
});

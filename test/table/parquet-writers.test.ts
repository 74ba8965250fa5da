/**
 * Parquet as pyarrow, polars and DuckDB write it, with every common codec: each file reads to the
 * same cells, and those cells are the values of the same table written as CSV by pandas (nulls are
 * empty cells, float32 in its shortest text, timestamps and decimals as text). Fixtures:
 * fixtures/make/make_parquet_fixtures.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readBoundedRows } from '../../src/table/bounded-rows.js';
import { readHeader } from '../../src/table/row-reader.js';
import { fixture } from '../helpers.js';

const dir = fixture('data', 'parquet');
const mixed = readdirSync(dir).filter((f) => /^mixed\..+\.parquet$/.test(f));
const all = { limit: 1000, pick: 'first' as const, badRows: 'refuse' as const };

test('pyarrow, polars and DuckDB with snappy, zstd, gzip, lz4 and no compression: 15 files', () => {
  for (const writer of ['pyarrow', 'polars', 'duckdb'])
    for (const codec of ['snappy', 'zstd', 'gzip', 'lz4', 'uncompressed'])
      assert.ok(mixed.includes(`mixed.${writer}.${codec}.parquet`), `${writer} ${codec}`);
});

test('every writer and codec reads to the same cells as the CSV of the same table', async () => {
  const csv = await readBoundedRows(fixture('data', 'parquet', 'mixed.csv'), all);
  assert.equal(csv.rows.length, 120);
  for (const name of mixed) {
    const table = await readBoundedRows(fixture('data', 'parquet', name), all);
    assert.deepEqual(table.header, csv.header, name);
    assert.equal(table.rows.length, csv.rows.length, name);
    table.rows.forEach((row, r) =>
      row.forEach((cell, c) => {
        const want = csv.rows[r][c];
        // Same value, not the same spelling: pandas writes 1.0 where a JS number prints 1.
        const same = want === '' ? cell === '' : cell === want || (cell !== '' && Number(cell) === Number(want));
        assert.ok(
          same,
          `${name} row ${r + 1} ${csv.header[c]}: ${JSON.stringify(cell)} vs CSV ${JSON.stringify(want)}`,
        );
      }),
    );
    // Row numbers are the file's, 1-based, across row groups.
    assert.deepEqual(table.lines.slice(0, 3), [1, 2, 3], name);
  }
});

test('nulls in float, int and string columns are empty cells; the others keep their values', async () => {
  const table = await readBoundedRows(fixture('data', 'parquet', 'mixed.pyarrow.snappy.parquet'), all);
  const col = (name: string) => table.header.indexOf(name);
  assert.equal(table.rows[4][col('x')], '');
  assert.equal(table.rows[7][col('count')], '');
  assert.equal(table.rows[2][col('city')], '');
  assert.match(table.rows[0][col('ts')], /^2024-\d\d-\d\d \d\d:00:00$/);
  assert.match(table.rows[0][col('amount')], /^\d+\.\d\d$/);
});

test('the footer tells the kinds and the row groups', async () => {
  const info = await readHeader(fixture('data', 'parquet', 'mixed.polars.zstd.parquet'));
  assert.equal(info.format, 'parquet');
  assert.equal(info.parquet!.rowGroups.length, 5);
  const kinds = Object.fromEntries(info.parquet!.columns.map((c) => [c.name, c.kind]));
  assert.deepEqual(kinds, {
    id: 'int',
    x: 'float',
    f32: 'float',
    count: 'int',
    level: 'int',
    city: 'string',
    flag: 'bool',
    ts: 'text',
    amount: 'text',
  });
  const nested = await readHeader(fixture('data', 'parquet', 'nested.parquet'));
  assert.deepEqual(
    nested.parquet!.columns.filter((c) => c.kind === 'nested').map((c) => c.name),
    ['tags', 'point', 'attrs'],
  );
});

test('a truncated Parquet file is PARQUET_UNREADABLE, exit 2', async () => {
  await assert.rejects(
    readBoundedRows(fixture('data', 'parquet', 'truncated.parquet'), all),
    (e: Error & { code?: string; exitCode?: number }) => {
      assert.equal(e.code, 'PARQUET_UNREADABLE');
      assert.equal(e.exitCode, 2);
      assert.match(e.message, /truncated\.parquet/);
      return true;
    },
  );
});

test('two reads at once (drift reads both files together) each see all their rows', async () => {
  const [a, b] = await Promise.all([
    readBoundedRows(fixture('data', 'parquet', 'mixed.pyarrow.gzip.parquet'), all),
    readBoundedRows(fixture('data', 'parquet', 'mlp.parquet'), all),
  ]);
  assert.equal(a.rows.length, 120);
  assert.equal(b.rows.length, 200);
});

/**
 * Drift on Parquet gives the report it gives on the same data as CSV, for any mix of the two
 * formats: the same column kinds (visits, integers 0..4, categorical in both), the same tests and
 * p-values. Nested columns are refused when compared and read past when not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectDrift } from '../../src/drift/index.js';
import type { DriftResult } from '../../src/drift/types.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, ROOT } from '../helpers.js';

const csv = { reference: fixture('data', 'drift', 'reference.csv'), current: fixture('data', 'drift', 'current.csv') };
const parquet = {
  reference: fixture('data', 'parquet', 'drift-reference.parquet'),
  current: fixture('data', 'parquet', 'drift-current.parquet'),
};

/** The report less the file paths. */
function body(result: DriftResult) {
  return { ...result, reference: { ...result.reference, path: '' }, current: { ...result.current, path: '' } };
}

test('drift on Parquet (pandas to_parquet) is the report on the CSV, for every mix of formats', async () => {
  const want = body(await detectDrift({ ...csv, ignore: ['id'] }));
  for (const [reference, current] of [
    [parquet.reference, parquet.current],
    [parquet.reference, csv.current],
    [csv.reference, parquet.current],
  ]) {
    const got = body(await detectDrift({ reference, current, ignore: ['id'] }));
    assert.deepEqual(got, want, `${reference} vs ${current}`);
  }
  const visits = want.columns.find((c) => c.column === 'visits')!;
  assert.equal(visits.type, 'categorical');
  assert.equal(want.columns.find((c) => c.column === 'income')!.drifted, true);
});

test('--input-format parquet reads Parquet; naming the wrong format is TABLE_FORMAT_MISMATCH', async () => {
  const result = await detectDrift({ ...parquet, ignore: ['id'], inputFormat: 'parquet' });
  assert.equal(result.reference.rows, 1000);
  await assert.rejects(detectDrift({ ...parquet, inputFormat: 'csv' }), { code: 'TABLE_FORMAT_MISMATCH' });
  await assert.rejects(detectDrift({ ...csv, inputFormat: 'parquet' }), { code: 'TABLE_FORMAT_MISMATCH' });
});

test('a nested column compared is PARQUET_COLUMN_UNSUPPORTED naming it and its type; left out, it is fine', async () => {
  const nested = fixture('data', 'parquet', 'nested.parquet');
  await assert.rejects(
    detectDrift({ reference: nested, current: nested, minValues: 2 }),
    (e: Error & { code?: string; exitCode?: number; hint?: string }) => {
      assert.equal(e.code, 'PARQUET_COLUMN_UNSUPPORTED');
      assert.equal(e.exitCode, 2);
      assert.match(e.message, /column "tags" is a nested Parquet column \(BIGINT\[\]\)/);
      assert.match(e.hint ?? '', /`ignore`/);
      return true;
    },
  );
  const result = await detectDrift({
    reference: nested,
    current: nested,
    minValues: 2,
    ignore: ['tags', 'point', 'attrs'],
  });
  assert.deepEqual(result.columns.map((c) => c.column).sort(), ['id', 'x']);
  assert.equal(result.drifted, 0);
});

test('every writer and codec of the same table gives the same drift report', async () => {
  const mixed = (name: string) => fixture('data', 'parquet', `mixed.${name}.parquet`);
  const want = body(
    await detectDrift({ reference: fixture('data', 'parquet', 'mixed.csv'), current: mixed('pyarrow.snappy') }),
  );
  assert.equal(want.columns.find((c) => c.column === 'level')!.type, 'categorical');
  assert.equal(want.columns.find((c) => c.column === 'count')!.type, 'numerical');
  for (const name of ['polars.zstd', 'duckdb.gzip', 'pyarrow.lz4', 'polars.uncompressed']) {
    const got = body(await detectDrift({ reference: mixed(name), current: fixture('data', 'parquet', 'mixed.csv') }));
    assert.deepEqual(got, want, name);
  }
});

test('Parquet piped to drift (--current /dev/stdin) is read from its temporary copy, as a pipe of CSV is', () => {
  const run = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'mlops'),
      'drift',
      '--reference',
      csv.reference,
      '--current',
      '/dev/stdin',
      '--ignore',
      'id',
      '--json',
    ],
    { input: readFileSync(parquet.current), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
  );
  assert.ok(run.status === 0 || run.status === 1, run.stderr);
  const doc = JSON.parse(run.stdout);
  assert.equal(doc.current.path, '/dev/stdin');
  assert.equal(doc.current.rows, 800);
});

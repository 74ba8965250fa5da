/**
 * predict-batch on Parquet: the same predictions, byte for byte, as on the
 * same data as CSV; shards by row group; bad rows named by row number; nested
 * columns refused only where used. Files from fixtures/make/make_predict_parquet.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { predictBatch, type PredictBatchOptions, type PredictProgress } from '../../src/predict/index.js';
import { fixture } from '../helpers.js';
import { tempDir } from '../registry/helpers.js';
import { readCsv } from './helpers.js';

const parquet = (name: string) => fixture('data', 'predict-parquet', `${name}.parquet`);
const FEATURES = Array.from({ length: 30 }, (_, i) => `f${i}`);

type Run = Omit<PredictBatchOptions, 'inputs' | 'output'>;

/** The run on `input`, its output text and summary. */
async function run(dir: string, name: string, input: string, options: Run) {
  const output = path.join(dir, name);
  const result = await predictBatch({ ...options, inputs: [input], output });
  return { text: readFileSync(output, 'utf8'), result };
}

test('every typed column path gives the same output, byte for byte, as the CSV of the same data', async () => {
  const dir = tempDir('mlops-pq-');
  const cases: Array<[string, string, Run]> = [
    ['mlp', 'mlp.csv', { model: fixture('models', 'mlp.onnx'), keep: ['id'] }],
    // 200 rows in batches of 64 across 4 row groups of 50: blocks end inside and across chunks.
    ['mlp', 'mlp.csv', { model: fixture('models', 'mlp.onnx'), keep: ['id'], batchSize: 64 }],
    // float64, int64 and bool columns to float, int64 and bool inputs, a string input, by name.
    // (Kept floats are written as the value's shortest text: 65, where this CSV says 65.0; so not kept here.)
    ['per-column', 'per-column.csv', { model: fixture('models', 'per-column.onnx'), keep: ['id'] }],
    // int64 columns to an int32 input, a kept string with commas.
    ['counts', 'counts.csv', { model: fixture('models', 'int32-counts.onnx'), keep: ['id', 'region'] }],
    // bool, string ("yes") and int columns to a bool input.
    ['flags', 'flags.csv', { model: fixture('models', 'bool-matrix.onnx'), keep: ['id'] }],
    ['flags', 'flags.csv', { model: fixture('models', 'text-matrix.onnx'), keep: ['id', 'a', 'b', 'c'] }],
  ];
  for (const [name, csv, options] of cases) {
    const fromCsv = await run(dir, `${name}.csv.out`, fixture('data', csv), options);
    const fromParquet = await run(dir, `${name}.pq.out`, parquet(name), options);
    assert.ok(fromCsv.result.rows_written > 0);
    assert.equal(fromParquet.text, fromCsv.text, `${name} ${JSON.stringify(options)}`);
    assert.equal(fromParquet.result.rows_written, fromCsv.result.rows_written);
  }
});

test('the concatenated shard outputs equal the single run; shards are whole row groups, given as row ranges', async () => {
  const dir = tempDir('mlops-pq-');
  const base = { model: fixture('models', 'mlp.onnx'), keep: ['id'], batchSize: 32 };
  const single = (await run(dir, 'single.csv', parquet('mlp'), base)).text;
  for (const count of [2, 3, 4, 6]) {
    const parts: string[] = [];
    const ranges: unknown[] = [];
    for (let index = 0; index < count; index++) {
      const shard = { index, count, source: '--shard' };
      const { text, result } = await run(dir, `s${count}-${index}.csv`, parquet('mlp'), { ...base, shard });
      ranges.push(result.files[0].shard);
      // Every shard writes its header, an empty one (more shards than the 4 row groups) too.
      assert.ok(text.startsWith('id,logits_0,logits_1\n'), `${count} shards, #${index}`);
      parts.push(index === 0 ? text : text.slice(text.indexOf('\n') + 1));
    }
    assert.equal(parts.join(''), single, `${count} shards`);
    if (count === 3)
      assert.deepEqual(ranges, [
        { index: 0, count: 3, source: '--shard', row_start: 0, row_end: 50 },
        { index: 1, count: 3, source: '--shard', row_start: 50, row_end: 100 },
        { index: 2, count: 3, source: '--shard', row_start: 100, row_end: 200 },
      ]);
  }
});

test('bad rows are named by their row number in the file, and rejected as the same rows of the CSV are', async () => {
  const dir = tempDir('mlops-pq-');
  const base: Run = { model: fixture('models', 'mlp.onnx'), ignore: ['id'], keep: ['id', 'note'], onError: 'skip' };
  const csvRejects = path.join(dir, 'csv-rejects.csv');
  const pqRejects = path.join(dir, 'pq-rejects.csv');
  const csv = fixture('data', 'predict-parquet', 'mlp-bad.csv');
  const fromCsv = await run(dir, 'csv.out', csv, { ...base, rejects: csvRejects });
  const fromParquet = await run(dir, 'pq.out', parquet('mlp-bad'), { ...base, rejects: pqRejects });
  assert.equal(fromParquet.text, fromCsv.text);
  assert.equal(fromParquet.result.rows_rejected, 3);
  const want = readCsv(csvRejects);
  const got = readCsv(pqRejects);
  assert.deepEqual(got.header, ['row_number', 'reason', 'row']);
  assert.deepEqual(
    got.rows.map((r) => r[0]),
    ['3', '5', '8'],
    'rows 3, 5 and 8 of the file (null, NaN, 1e39)',
  );
  assert.deepEqual(
    want.rows.map((r) => r[0]),
    ['4', '6', '9'],
    'the CSV names lines (the header is line 1)',
  );
  assert.deepEqual(
    got.rows.map((r) => r[1]),
    want.rows.map((r) => r[1]),
    'same reasons',
  );
  assert.match(got.rows[2][1], /"1e\+39" is not a number the model's float32 input can hold/);

  // --allow-missing feeds the null and the NaN; 1e39 still fails, worded with its row.
  await assert.rejects(
    predictBatch({
      ...base,
      onError: 'fail',
      allowMissing: true,
      inputs: [parquet('mlp-bad')],
      output: path.join(dir, 'x.csv'),
    }),
    (err: Error & { code?: string }) =>
      err.code === 'CSV_BAD_ROW' && err.message.startsWith(`${parquet('mlp-bad')}: row 8: column "f6"`),
  );
  // Batches of 6: rows 1-6 (the null and the NaN) are copied as a block, fed as NaN; rows 7-12 (1e39) go row by row.
  for (const batchSize of [6, 100]) {
    const options = { ...base, allowMissing: true, batchSize };
    const allowed = await run(dir, 'allowed.csv', parquet('mlp-bad'), options);
    assert.equal(allowed.result.rows_written, 11);
    assert.equal(allowed.text, (await run(dir, 'allowed-csv.csv', csv, options)).text, `batches of ${batchSize}`);
  }
  await assert.rejects(
    predictBatch({
      ...base,
      onError: 'skip',
      maxRejects: 1,
      inputs: [parquet('mlp-bad')],
      output: path.join(dir, 'y.csv'),
    }),
    (err: Error & { code?: string }) => err.code === 'TOO_MANY_REJECTS' && /latest: row 8: /.test(err.message),
  );
});

test('a nested column is refused where it is fed or kept, naming it and its type; unused it is left out', async () => {
  const dir = tempDir('mlops-pq-');
  const model = fixture('models', 'mlp.onnx');
  const input = parquet('mlp-bad');
  const output = path.join(dir, 'o.csv');
  const refused = (options: Run, hint: RegExp) =>
    assert.rejects(
      predictBatch({ ...options, inputs: [input], output }),
      (err: Error & { code?: string; hint?: string }) => {
        assert.equal(err.code, 'PARQUET_COLUMN_UNSUPPORTED');
        assert.match(err.message, /column "tags" is BIGINT\[\], a nested column/);
        assert.match(err.hint ?? '', hint);
        return true;
      },
    );
  await refused({ model, keep: ['id', 'tags'] }, /drop "tags" from `keep`/);
  await refused({ model, keepAll: true, features: FEATURES }, /`keep` instead of `keepAll`/);
  await refused({ model, features: ['tags', ...FEATURES.slice(1)] }, /drop "tags" from `features`/);
  // Unused: not taken as a feature by file order, not among the default kept columns.
  const r = await predictBatch({ model, inputs: [input], output, ignore: ['id'], allowMissing: true, onError: 'skip' });
  assert.deepEqual(r.files[0].kept, ['id', 'note']);
  assert.deepEqual(r.files[0].features, FEATURES);
});

test('progress counts rows of a Parquet file; inputFormat must match the file', async () => {
  const dir = tempDir('mlops-pq-');
  const seen: PredictProgress[] = [];
  await predictBatch({
    model: fixture('models', 'mlp.onnx'),
    inputs: [parquet('mlp')],
    output: path.join(dir, 'o.csv'),
    keep: ['id'],
    inputFormat: 'parquet',
    onProgress: (p) => seen.push(p),
  });
  assert.ok(seen.length > 0);
  assert.ok(seen.every((p) => p.unit === 'rows' && p.bytesTotal === 200));
  assert.equal(seen.at(-1)!.bytesDone, 200);
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'mlp.onnx'),
      inputs: [parquet('mlp')],
      output: path.join(dir, 'o.csv'),
      inputFormat: 'csv',
    }),
    { code: 'TABLE_FORMAT_MISMATCH' },
  );
});

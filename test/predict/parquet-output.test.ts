import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { predictBatch } from '../../src/predict/index.js';
import { duckdb, sqlString } from '../../src/table/parquet/duckdb.js';
import type { ErrorCode } from '../../src/util/error-codes.js';
import { halfToNumber, numberToHalf } from '../../src/util/float16.js';
import { fixture, tempDir } from '../helpers.js';
import { readCsv } from './helpers.js';

/** A query's rows as plain objects (BIGINT as bigint, FLOAT as the float32 widened to a number). */
async function query(sql: string): Promise<Record<string, unknown>[]> {
  const connection = await duckdb();
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

/** Column name -> DuckDB type, in file order. */
async function schema(file: string): Promise<Array<[string, string]>> {
  const rows = await query(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
  return rows.map((r) => [String(r.column_name), String(r.column_type)]);
}

async function column(file: string, name: string): Promise<unknown[]> {
  const rows = await query(`SELECT "${name}" AS v FROM read_parquet(${sqlString(file)})`);
  return rows.map((r) => r.v);
}

async function codecs(file: string): Promise<string[]> {
  const rows = await query(`SELECT DISTINCT compression FROM parquet_metadata(${sqlString(file)})`);
  return rows.map((r) => String(r.compression));
}

/** onnxruntime's float32 outputs from the .ort.csv references, as the numbers a FLOAT column reads back as. */
function ortFloats(file: string, name: string): number[] {
  const t = readCsv(fixture('data', file));
  return t.rows.map((r) => Math.fround(Number(r[t.header.indexOf(name)])));
}

async function rejection(run: Promise<unknown>): Promise<{ code: ErrorCode; message: string }> {
  const err = (await run.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  )) as { code: ErrorCode; message: string };
  return err;
}

test('a .parquet output holds FLOAT predictions equal, value for value, to onnxruntime; zstd by default', async () => {
  const dir = tempDir('mlops-pq-out-');
  const out = path.join(dir, 'preds.parquet');
  const r = await predictBatch({
    model: fixture('models', 'mlp.onnx'),
    inputs: [fixture('data', 'mlp.csv')],
    output: out,
    keep: ['id'],
  });
  assert.equal(r.rows_written, 200);
  assert.deepEqual(await schema(out), [
    ['id', 'VARCHAR'], // kept from a CSV: text, as the CSV held
    ['logits_0', 'FLOAT'],
    ['logits_1', 'FLOAT'],
  ]);
  assert.deepEqual(
    await column(out, 'id'),
    Array.from({ length: 200 }, (_, i) => String(i + 1)),
  );
  for (const name of ['logits_0', 'logits_1'])
    assert.deepEqual(await column(out, name), ortFloats('mlp.ort.csv', name), name);
  assert.deepEqual(await codecs(out), ['ZSTD']);
  assert.deepEqual(readdirSync(dir), ['preds.parquet'], 'no temporary file or spill folder left');
});

test('ZipMap classifiers: int64 labels are BIGINT, string labels VARCHAR, probability_<class> FLOAT', async () => {
  const dir = tempDir('mlops-pq-out-');
  for (const [model, expected, labelType] of [
    ['iris-zipmap.onnx', 'iris.ort.csv', 'BIGINT'],
    ['iris-zipmap-strings.onnx', 'iris-strings.ort.csv', 'VARCHAR'],
  ]) {
    const out = path.join(dir, `${model}.parquet`);
    await predictBatch({
      model: fixture('models', model),
      inputs: [fixture('data', 'iris.csv')],
      output: out,
      keep: ['species'],
      compression: 'snappy',
    });
    const want = readCsv(fixture('data', expected));
    assert.deepEqual(await schema(out), [
      ['species', 'VARCHAR'],
      ['label', labelType],
      ...want.header.slice(1).map((n): [string, string] => [n, 'FLOAT']),
    ]);
    const labels = await column(out, 'label');
    assert.deepEqual(
      labels.map((l) => String(l)),
      want.rows.map((r) => r[0]),
    );
    for (const name of want.header.slice(1))
      assert.deepEqual(await column(out, name), ortFloats(expected, name), `${model} ${name}`);
    assert.deepEqual(await codecs(out), ['SNAPPY']);
  }
});

test('kept columns of a Parquet input keep their types and values (int64, float32, string, timestamp, decimal, bool, nulls)', async () => {
  const dir = tempDir('mlops-pq-out-');
  const input = fixture('data', 'iris-typed.parquet');
  const out = path.join(dir, 'typed.parquet');
  const r = await predictBatch({
    model: fixture('models', 'iris-zipmap-strings.onnx'),
    inputs: [input],
    output: out,
    features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
  });
  assert.deepEqual(r.files[0].kept, ['id', 'weight', 'name', 'seen', 'price', 'member']);
  assert.deepEqual(await schema(out), [
    ['id', 'BIGINT'],
    ['weight', 'FLOAT'],
    ['name', 'VARCHAR'],
    ['seen', 'TIMESTAMP'],
    ['price', 'DECIMAL(10,2)'],
    ['member', 'BOOLEAN'],
    ['label', 'VARCHAR'],
    ['probability_setosa', 'FLOAT'],
    ['probability_versicolor', 'FLOAT'],
    ['probability_virginica', 'FLOAT'],
  ]);
  // Row by row, every kept value (nulls included) equals the input's, in the input's order.
  const [same] = await query(
    `SELECT count(*) AS n FROM
       (SELECT *, row_number() OVER () AS k FROM read_parquet(${sqlString(input)})) i
       JOIN (SELECT *, row_number() OVER () AS k FROM read_parquet(${sqlString(out)})) o USING (k)
     WHERE i.id = o.id AND i.weight IS NOT DISTINCT FROM o.weight AND i.name IS NOT DISTINCT FROM o.name
       AND i.seen IS NOT DISTINCT FROM o.seen AND i.price IS NOT DISTINCT FROM o.price AND i.member = o.member`,
  );
  assert.equal(Number(same.n), 150);
  const [nulls] = await query(
    `SELECT count(*) FILTER (WHERE weight IS NULL) AS w, count(*) FILTER (WHERE name IS NULL) AS s,
            count(*) FILTER (WHERE seen IS NULL) AS t, count(*) FILTER (WHERE price IS NULL) AS p
     FROM read_parquet(${sqlString(out)})`,
  );
  assert.deepEqual(Object.values(nulls).map(Number), [3, 1, 1, 1]);
  for (const name of ['probability_setosa', 'probability_versicolor', 'probability_virginica'])
    assert.deepEqual(await column(out, name), ortFloats('iris-strings.ort.csv', name), name);
});

test('float16 outputs are written as FLOAT holding the same values', async () => {
  const dir = tempDir('mlops-pq-out-');
  const out = path.join(dir, 'half.parquet');
  await predictBatch({
    model: fixture('models', 'half-output.onnx'),
    inputs: [fixture('data', 'iris.csv')],
    output: out,
    features: ['sepal_length', 'sepal_width'],
    keep: [],
  });
  assert.deepEqual(await schema(out), [
    ['half_0', 'FLOAT'],
    ['half_1', 'FLOAT'],
  ]);
  // The reference holds numpy's shortest float16 digits: the float16 they read back to is what the file must hold.
  const want = readCsv(fixture('data', 'half-output.ort.csv'));
  for (const [i, name] of want.header.entries())
    assert.deepEqual(
      await column(out, name),
      want.rows.map((r) => halfToNumber(numberToHalf(Number(r[i])))),
      name,
    );
});

test('a run that fails midway leaves no Parquet output, no temporary file, and an existing output as it was', async () => {
  const dir = tempDir('mlops-pq-out-');
  const input = path.join(dir, 'bad.csv');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').split('\n');
  lines[150] = lines[150].replace(/,[^,]+$/, ',oops'); // a bad cell well after the first batches were written
  writeFileSync(input, lines.join('\n'));
  const out = path.join(dir, 'preds.parquet');
  const err = await rejection(
    predictBatch({ model: fixture('models', 'mlp.onnx'), inputs: [input], output: out, keep: ['id'], batchSize: 16 }),
  );
  assert.equal(err.code, 'CSV_BAD_ROW');
  assert.deepEqual(readdirSync(dir), ['bad.csv']);

  writeFileSync(out, 'previous results');
  await rejection(
    predictBatch({ model: fixture('models', 'mlp.onnx'), inputs: [input], output: out, keep: ['id'], batchSize: 16 }),
  );
  assert.equal(readFileSync(out, 'utf8'), 'previous results');
  assert.deepEqual(readdirSync(dir).sort(), ['bad.csv', 'preds.parquet']);
});

test('refused: Parquet to stdout, --compression with a CSV output, an unknown codec', async () => {
  const dir = tempDir('mlops-pq-out-');
  const base = { model: fixture('models', 'mlp.onnx'), inputs: [fixture('data', 'mlp.csv')], keep: ['id'] };
  let err = await rejection(predictBatch({ ...base, output: '-', outputFormat: 'parquet' }));
  assert.equal(err.code, 'PARQUET_NOT_SEEKABLE');
  assert.match(err.message, /stdout cannot take Parquet/);
  err = await rejection(predictBatch({ ...base, output: path.join(dir, 'p.csv'), compression: 'zstd' }));
  assert.equal(err.code, 'OPTIONS_CONFLICT');
  err = await rejection(predictBatch({ ...base, output: path.join(dir, 'p.parquet'), compression: 'brotli' as never }));
  assert.equal(err.code, 'OPTION_INVALID');
  assert.deepEqual(readdirSync(dir), []);
});

test('--output-format: parquet under any name, csv for a .parquet name; with --output-dir the names follow the format', async () => {
  const dir = tempDir('mlops-pq-out-');
  const model = fixture('models', 'mlp.onnx');
  const forced = path.join(dir, 'preds.out');
  await predictBatch({
    model,
    inputs: [fixture('data', 'mlp.csv')],
    output: forced,
    outputFormat: 'parquet',
    keep: ['id'],
  });
  assert.equal(readFileSync(forced).subarray(0, 4).toString(), 'PAR1');
  const csv = path.join(dir, 'preds.parquet');
  await predictBatch({ model, inputs: [fixture('data', 'mlp.csv')], output: csv, outputFormat: 'csv', keep: ['id'] });
  assert.match(readFileSync(csv, 'utf8'), /^id,logits_0,logits_1\n/);

  const outDir = path.join(dir, 'out');
  const r = await predictBatch({
    model,
    inputs: [fixture('data', 'mlp.csv')],
    outputDir: outDir,
    outputFormat: 'parquet',
    onError: 'skip',
    keep: ['id'],
  });
  assert.equal(r.files[0].output, path.join(outDir, 'mlp.parquet'));
  assert.deepEqual(readdirSync(outDir), ['mlp.parquet']);
  assert.equal((await column(path.join(outDir, 'mlp.parquet'), 'logits_0')).length, 200);
});

test('shards write one Parquet file each; together they hold the single run, in order', async () => {
  const dir = tempDir('mlops-pq-out-');
  const model = fixture('models', 'mlp.onnx');
  const input = fixture('data', 'mlp.csv');
  const whole = path.join(dir, 'whole.parquet');
  await predictBatch({ model, inputs: [input], output: whole, keep: ['id'] });
  const parts = [0, 1, 2].map((i) => path.join(dir, `part-${i}.parquet`));
  for (const [i, part] of parts.entries())
    await predictBatch({ model, inputs: [input], output: part, keep: ['id'], shard: { index: i, count: 3 } as never });
  const list = `[${parts.map(sqlString).join(', ')}]`;
  const joined = await query(`SELECT * FROM read_parquet(${list})`);
  const single = await query(`SELECT * FROM read_parquet(${sqlString(whole)})`);
  assert.ok(joined.length === 200);
  assert.deepEqual(joined, single);
});

test('an input with no rows gives a Parquet file with the columns and no rows', async () => {
  const dir = tempDir('mlops-pq-out-');
  const input = path.join(dir, 'empty.csv');
  writeFileSync(input, `${readFileSync(fixture('data', 'mlp.csv'), 'utf8').split('\n')[0]}\n`);
  const out = path.join(dir, 'empty.parquet');
  const r = await predictBatch({ model: fixture('models', 'mlp.onnx'), inputs: [input], output: out, keep: ['id'] });
  assert.equal(r.rows_written, 0);
  assert.ok(existsSync(out));
  assert.deepEqual(await schema(out), [
    ['id', 'VARCHAR'],
    ['logits_0', 'FLOAT'],
    ['logits_1', 'FLOAT'],
  ]);
  assert.equal((await column(out, 'id')).length, 0);
});

test('columns that differ only in case are refused for Parquet (DuckDB would rename one silently), and nothing is left', async () => {
  const dir = tempDir('mlops-pq-out-');
  const input = path.join(dir, 'cased.csv');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  writeFileSync(input, `${lines.map((l, i) => `${i === 0 ? 'ID' : `row-${i}`},${l}`).join('\n')}\n`);
  const out = path.join(dir, 'preds.parquet');
  const err = await rejection(
    predictBatch({ model: fixture('models', 'mlp.onnx'), inputs: [input], output: out, keep: ['ID', 'id'] }),
  );
  assert.equal(err.code, 'PARQUET_COLUMN_NAMES');
  assert.match(err.message, /"ID" and "id" differ only in case/);
  assert.deepEqual(readdirSync(dir), ['cased.csv']);
});

test('with --output-dir and Parquet outputs, rejected rows still go to DIR/rejects/<name>.csv, as CSV', async () => {
  const dir = tempDir('mlops-pq-out-');
  const input = path.join(dir, 'bad.csv');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').split('\n');
  lines[20] = lines[20].replace(/,[^,]+$/, ',oops');
  writeFileSync(input, lines.join('\n'));
  const outDir = path.join(dir, 'out');
  const r = await predictBatch({
    model: fixture('models', 'mlp.onnx'),
    inputs: [input],
    outputDir: outDir,
    outputFormat: 'parquet',
    onError: 'skip',
    keep: ['id'],
  });
  assert.equal(r.rows_rejected, 1);
  assert.equal(r.files[0].rejects_file, path.join(outDir, 'rejects', 'bad.csv'));
  assert.match(readFileSync(path.join(outDir, 'rejects', 'bad.csv'), 'utf8'), /^line,reason,row\n21,/);
  assert.equal((await column(path.join(outDir, 'bad.parquet'), 'id')).length, 199);
});

/**
 * check --input/--expected, quantize calibration and --validate, bench --input and a checklist
 * metric read Parquet and answer as on the same data as CSV; --input-format overrides detection
 * and refuses a file not in that format; a used nested column and a truncated file are exit 2
 * with a message, no stack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { evaluateMetric } from '../../src/checklist/quality.js';
import { fixture, runCli, tempDir } from '../helpers.js';

const mlp = fixture('models', 'mlp.onnx');
const pq = (name: string) => fixture('data', 'parquet', name);
const csv = (name: string) => fixture('data', name);

function json(args: string[]) {
  const run = runCli([...args, '--json']);
  return { ...run, doc: JSON.parse(run.stdout) };
}

test('check --input/--expected on Parquet gives the parity of the CSVs, in any mix', () => {
  const want = json(['check', mlp, '--input', csv('mlp.csv'), '--expected', csv('mlp.expected.csv'), '--ignore', 'id']);
  assert.equal(want.status, 0, want.stderr);
  for (const args of [
    ['--input', pq('mlp.parquet'), '--expected', pq('mlp.expected.parquet'), '--input-format', 'parquet'],
    ['--input', pq('mlp.parquet'), '--expected', csv('mlp.expected.csv')],
  ]) {
    const got = json(['check', mlp, ...args, '--ignore', 'id']);
    assert.equal(got.status, 0, got.stderr);
    assert.deepEqual(got.doc.parity.sets[0].outputs, want.doc.parity.sets[0].outputs);
  }
});

test('--input-format naming the wrong format is TABLE_FORMAT_MISMATCH, exit 2', () => {
  const run = runCli([
    'check',
    mlp,
    '--input',
    csv('mlp.csv'),
    '--expected',
    csv('mlp.expected.csv'),
    '--input-format',
    'parquet',
  ]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /error: .*mlp\.csv is not a Parquet file/);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
});

test('quantize --validate and static calibration on Parquet: the same report as on the CSV', () => {
  const dir = tempDir('mlops-pq-quantize-');
  for (const flag of ['--validate', '--calibration']) {
    const extra = flag === '--calibration' ? ['--mode', 'static', '--calibration-rows', '64'] : [];
    const fromCsv = json([
      'quantize',
      mlp,
      '--output',
      path.join(dir, 'a.onnx'),
      flag,
      csv('mlp.csv'),
      '--ignore',
      'id',
      ...extra,
    ]);
    const fromPq = json([
      'quantize',
      mlp,
      '--output',
      path.join(dir, 'b.onnx'),
      flag,
      pq('mlp.parquet'),
      '--ignore',
      'id',
      ...extra,
    ]);
    assert.equal(fromCsv.status, 0, fromCsv.stderr);
    assert.equal(fromPq.status, 0, fromPq.stderr);
    assert.equal(fromPq.doc.output.sha256, fromCsv.doc.output.sha256, flag);
    const { speedup: _a, float_ms: _b, int8_ms: _c, source: _d, ...validation } = fromPq.doc.validation ?? {};
    const { speedup: _e, float_ms: _f, int8_ms: _g, source: _h, ...wanted } = fromCsv.doc.validation ?? {};
    assert.deepEqual(validation, wanted, flag);
  }
});

test('bench --input takes Parquet rows', () => {
  const run = json([
    'bench',
    mlp,
    '--input',
    pq('mlp.parquet'),
    '--ignore',
    'id',
    '--iterations',
    '2',
    '--batch-size',
    '8',
  ]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.doc.results[0].batch_size, 8);
});

test('a nested column feeding a model is PARQUET_COLUMN_UNSUPPORTED, exit 2, naming it and its type', () => {
  const run = runCli([
    'bench',
    fixture('models', 'float64-input.onnx'),
    '--input',
    pq('nested.parquet'),
    '--features',
    'id,x,point',
    '--iterations',
    '1',
    '--batch-size',
    '1',
    '--json',
  ]);
  assert.equal(run.status, 2, run.stderr);
  const error = JSON.parse(run.stdout).error;
  assert.equal(error.code, 'PARQUET_COLUMN_UNSUPPORTED');
  assert.match(error.message, /column "point" is a nested Parquet column \(STRUCT\(a DOUBLE, b DOUBLE\)\)/);
});

test('a truncated Parquet file is exit 2 with a message, no stack', () => {
  const run = runCli(['drift', '--reference', pq('truncated.parquet'), '--current', pq('mixed.polars.snappy.parquet')]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^error: .*truncated\.parquet: cannot read it as Parquet/);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
});

test('a checklist metric on Parquet is the metric on the CSV', async () => {
  const model = fixture('models', 'iris-zipmap.onnx');
  const options = { label: 'species', metric: 'accuracy' as const, output: 'output_label', ignore: ['species'] };
  const fromCsv = await evaluateMetric(model, { ...options, data: csv('iris.csv') });
  const fromPq = await evaluateMetric(model, { ...options, data: pq('iris.parquet') });
  assert.ok(fromCsv > 0.9);
  assert.equal(fromPq, fromCsv);
});

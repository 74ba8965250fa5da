import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir, withoutWarnings } from '../helpers.js';

const base = ['predict-batch', fixture('models', 'mlp.onnx'), '--input', fixture('data', 'mlp.csv'), '--keep', 'id'];

test('predict-batch writes Parquet for a .parquet output, with the codec asked for', () => {
  const dir = tempDir('mlops-cli-pq-');
  const out = path.join(dir, 'preds.parquet');
  const r = runCli([...base, '--output', out, '--compression', 'lz4', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).files[0].output, out);
  const bytes = readFileSync(out);
  assert.equal(bytes.subarray(0, 4).toString(), 'PAR1');
  assert.equal(bytes.subarray(-4).toString(), 'PAR1');
  assert.deepEqual(readdirSync(dir), ['preds.parquet']);
});

test('refused with exit 2 and the flags named: Parquet to stdout, --compression with a CSV output, an unknown codec', () => {
  const dir = tempDir('mlops-cli-pq-');
  let r = runCli([...base, '--output', '-', '--output-format', 'parquet']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /error: stdout cannot take Parquet/);
  assert.match(
    r.stderr,
    /hint: write to a file \(--output preds\.parquet\), or write CSV to stdout \(--output-format csv\)/,
  );

  r = runCli([...base, '--output', path.join(dir, 'preds.csv'), '--compression', 'zstd']);
  assert.equal(r.status, 2);
  assert.match(withoutWarnings(r.stderr), /error: --compression applies to Parquet outputs, and the output is CSV/);
  assert.match(r.stderr, /--output-format parquet/);

  r = runCli([...base, '--output', path.join(dir, 'preds.parquet'), '--compression', 'brotli']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /brotli/);
  assert.deepEqual(readdirSync(dir), []);
});

/**
 * One rule for a bad row (here `bob 5'10"`, a quote inside an unquoted value)
 * in every command: a sample (predict-batch --on-error skip, quantize's
 * calibration and validation rows) skips and counts it; a parity check, whose
 * rows pair with the expected file's by position, refuses it naming file:line.
 * Both used to stop check and quantize with CSV_PARSE_ERROR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, tempDir } from '../helpers.js';
import { checkModel } from '../../src/check/index.js';
import { quantizeModel } from '../../src/quantize/index.js';
import { predictBatch } from '../../src/predict/index.js';

/** mlp.csv with a row whose f0 holds a stray quote, on line 4. */
function withStrayQuote(dir: string): string {
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const bad = lines[3].split(',');
  bad[1] = `5'10"`;
  lines.splice(3, 0, bad.join(','));
  const file = path.join(dir, 'stray.csv');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

test('a sample skips and counts a bad row: quantize calibration and validation, as predict-batch --on-error skip', async () => {
  const dir = tempDir('mlops-badrow-');
  const data = withStrayQuote(dir);
  const q = await quantizeModel({
    model: fixture('models', 'mlp.onnx'),
    output: path.join(dir, 'q.onnx'),
    mode: 'static',
    calibration: data,
    validate: data,
    ignore: ['id'],
  });
  assert.equal(q.calibration?.rows, 200);
  for (const what of ['calibration', 'validation']) {
    assert.ok(
      q.warnings.some((w) =>
        new RegExp(
          `${what} data .*stray\\.csv: skipped 1 bad row \\(the first on line 4: column "f0": a quote inside an unquoted value`,
        ).test(w),
      ),
      q.warnings.join('\n'),
    );
  }
  const p = await predictBatch({
    model: fixture('models', 'mlp.onnx'),
    inputs: [data],
    output: path.join(dir, 'p.csv'),
    ignore: ['id'],
    onError: 'skip',
    onWarning: () => {},
  });
  assert.equal(p.files[0].rows_rejected, 1);
});

test('in a sample, a value the input cannot take or a missing one skips its row too (counted), as predict-batch --on-error skip', async () => {
  const dir = tempDir('mlops-badrow-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const text = lines[5].split(',');
  text[3] = 'abc';
  const empty = lines[9].split(',');
  empty[7] = '';
  lines[5] = text.join(',');
  lines[9] = empty.join(',');
  const data = path.join(dir, 'values.csv');
  writeFileSync(data, lines.join('\n') + '\n');
  const q = await quantizeModel({
    model: fixture('models', 'mlp.onnx'),
    output: path.join(dir, 'q.onnx'),
    validate: data,
    ignore: ['id'],
  });
  assert.equal(q.validation?.rows, 198);
  assert.ok(
    q.warnings.some((w) =>
      /validation data .*values\.csv: skipped 2 bad rows \(the first on line 6: column "f2": "abc" is not a number\)/.test(
        w,
      ),
    ),
    q.warnings.join('\n'),
  );
  // A parity check takes every row: the same value is an error naming file:line and column.
  await assert.rejects(
    checkModel({
      model: fixture('models', 'mlp.onnx'),
      input: data,
      expected: fixture('data', 'mlp.expected.csv'),
      ignore: ['id'],
    }),
    { code: 'CSV_BAD_VALUE', message: /values\.csv:6: column "f2": "abc" is not a number/ },
  );
});

test('a parity check refuses a bad row with CSV_BAD_ROW naming file:line', async () => {
  const dir = tempDir('mlops-badrow-');
  const data = withStrayQuote(dir);
  await assert.rejects(
    checkModel({
      model: fixture('models', 'mlp.onnx'),
      input: data,
      expected: fixture('data', 'mlp.expected.csv'),
      ignore: ['id'],
    }),
    (err: Error & { code?: string; exitCode?: number }) => {
      assert.equal(err.code, 'CSV_BAD_ROW');
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /stray\.csv:4: column "f0": a quote inside an unquoted value/);
      return true;
    },
  );
});

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
  const q = await quantizeModel({ model: fixture('models', 'mlp.onnx'), output: path.join(dir, 'q.onnx'), mode: 'static', calibration: data, validate: data, ignore: ['id'] });
  assert.equal(q.calibration?.rows, 200);
  for (const what of ['calibration', 'validation']) {
    assert.ok(q.warnings.some((w) => new RegExp(`${what} data .*stray\\.csv: skipped 1 bad row \\(the first on line 4: a quote inside an unquoted value`).test(w)), q.warnings.join('\n'));
  }
  const p = await predictBatch({ model: fixture('models', 'mlp.onnx'), inputs: [data], output: path.join(dir, 'p.csv'), ignore: ['id'], onError: 'skip', onWarning: () => {} });
  assert.equal(p.files[0].rows_rejected, 1);
});

test('a parity check refuses a bad row with CSV_BAD_ROW naming file:line', async () => {
  const dir = tempDir('mlops-badrow-');
  const data = withStrayQuote(dir);
  await assert.rejects(checkModel({ model: fixture('models', 'mlp.onnx'), input: data, expected: fixture('data', 'mlp.expected.csv'), ignore: ['id'] }), (err: Error & { code?: string; exitCode?: number }) => {
    assert.equal(err.code, 'CSV_BAD_ROW');
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /stray\.csv:4: a quote inside an unquoted value/);
    return true;
  });
});

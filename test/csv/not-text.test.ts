import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runCli } from '../helpers.js';

test('a binary file where a CSV is expected is named as such by the streaming readers too (predict-batch, drift)', () => {
  const model = fixture('models', 'mlp.onnx');
  for (const args of [
    ['predict-batch', model, '--input', model, '--output', '/dev/null', '--json'],
    ['drift', '--reference', model, '--current', fixture('data', 'mlp.csv'), '--json'],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, args[0]);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.error.code, 'CSV_NOT_TEXT');
    assert.match(doc.error.message, /mlp\.onnx is not a CSV file: it holds binary data \(it starts like an ONNX model\)/);
  }
});

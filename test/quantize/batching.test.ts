import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { quantizeModel } from '../../src/quantize/index.js';
import { PREDICT_BATCH_SIZE } from '../../src/quantize/options.js';
import { DEFAULT_BATCH_SIZE } from '../../src/predict/index.js';
import { renderQuantize } from '../../src/report/quantize.js';
import { fixture, tempDir } from '../helpers.js';

test('validation batches rows as predict-batch does', () => {
  assert.equal(PREDICT_BATCH_SIZE, DEFAULT_BATCH_SIZE);
});

test('dynamic int8: differences measured at the predict-batch size, and the spread between batchings reported', async () => {
  const dir = tempDir('mlops-q-batch-');
  const r = await quantizeModel({
    model: fixture('models', 'mlp.onnx'),
    output: path.join(dir, 'mlp.onnx'),
    validate: fixture('data', 'mlp.csv'),
    ignore: ['id'],
  });
  const v = r.validation!;
  // 200 rows make one call of 200, not of the default batch size: the report says what ran, and warns that the spread understates.
  assert.equal(v.batch_size, 200);
  assert.ok(
    r.warnings.some((w) => w.includes(`validation ran 200 rows, fewer than the batch size ${DEFAULT_BATCH_SIZE}`)),
  );
  // Activations are quantized with each call's own range: a row alone gives other numbers than in a batch of 200.
  const spread = v.outputs[0].batch_spread!;
  assert.ok(spread > 1e-3, `spread ${spread}`);
  assert.ok(spread <= 2 * v.outputs[0].max_abs_diff, 'of the order of the quantization error');
  const text = renderQuantize(r, { color: false });
  assert.match(text, /validation on 200 rows of .*mlp\.csv, in calls of 200 rows\n/);
  assert.match(
    text,
    /note: dynamic int8 quantizes activations per inference call, so outputs depend on how rows are batched: up to \d\.\d+e?-?\d* apart between calls of 200 rows and one row at a time/,
  );

  const small = await quantizeModel({
    model: fixture('models', 'mlp.onnx'),
    output: path.join(dir, 'mlp-50.onnx'),
    validate: fixture('data', 'mlp.csv'),
    ignore: ['id'],
    batchSize: 50,
  });
  assert.equal(small.validation!.batch_size, 50);
  assert.ok(
    small.validation!.outputs[0].max_abs_diff !== v.outputs[0].max_abs_diff,
    'another batching, other differences',
  );
});

test('static QDQ: fixed activation ranges, the same numbers whatever the batching', async () => {
  const dir = tempDir('mlops-q-batch-');
  const calibration = fixture('data', 'cnn-calibration');
  const r = await quantizeModel({
    model: fixture('models', 'cnn.onnx'),
    output: path.join(dir, 'cnn.onnx'),
    mode: 'static',
    calibration,
    validate: calibration,
  });
  assert.equal(r.validation!.outputs[0].batch_spread, 0);
  assert.doesNotMatch(renderQuantize(r, { color: false }), /note: dynamic int8/);
});

test('without --validate the dynamic report still says outputs depend on the batching', async () => {
  const dir = tempDir('mlops-q-batch-');
  const r = await quantizeModel({ model: fixture('models', 'mlp.onnx'), output: path.join(dir, 'mlp.onnx') });
  assert.match(
    renderQuantize(r, { color: false }),
    /note: dynamic int8 quantizes activations per inference call, so outputs depend on how rows are batched \(pass --validate to measure by how much\)/,
  );
  assert.match(
    renderQuantize(r, { color: false }),
    /NaN\/Inf check: 4 rows of synthesized inputs \(floats in \[0, 1\)\)/,
  );
});

test('a model exported with a fixed batch is validated in calls of that size', async () => {
  const dir = tempDir('mlops-q-batch-');
  const r = await quantizeModel({
    model: fixture('models', 'fixed-batch-8.onnx'),
    output: path.join(dir, 'f.onnx'),
    validate: fixture('data', 'iris.csv'),
    ignore: ['species'],
  });
  const v = r.validation!;
  assert.deepEqual(
    [v.batch_size, v.rows, v.outputs[0].batch_spread],
    [8, 144, null],
    '150 rows: 18 full calls of 8; one row at a time is impossible',
  );
  assert.match(
    renderQuantize(r, { color: false }),
    /validation on 144 rows of .*iris\.csv, in calls of 8 rows \(the model's fixed batch size; the last 6 rows are left out\)/,
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { loadModel } from '../../src/models/load-model.js';
import { stripZipMap } from '../../src/onnx/zipmap.js';
import { openSession } from '../../src/runtime/session.js';
import { fixture } from '../helpers.js';

function irisRows(): { features: Float32Array; expected: string[][] } {
  const rows = parse(readFileSync(fixture('data', 'iris.csv'), 'utf8'), { from_line: 2 }) as string[][];
  const expected = parse(readFileSync(fixture('data', 'iris.expected.csv'), 'utf8'), { from_line: 2 }) as string[][];
  return { features: Float32Array.from(rows.flatMap((r) => r.slice(0, 4).map(Number))), expected };
}

test('a ZipMap classifier runs once ZipMap is replaced, keeping output names and giving class labels', async () => {
  const loaded = await loadModel(fixture('models', 'iris-zipmap.onnx'));
  let rewrites: ReturnType<typeof stripZipMap> = [];
  const session = await openSession(loaded, { transform: (m) => (rewrites = stripZipMap(m)) });
  assert.deepEqual(
    rewrites.map((r) => ({ output: r.output, labels: r.labels })),
    [{ output: 'output_probability', labels: [0, 1, 2] }],
  );
  assert.deepEqual(
    session.tensorOutputs.map((o) => o.name),
    ['output_label', 'output_probability'],
  );
  // The caller's decoded model is untouched.
  assert.ok(loaded.model.graph!.node!.some((n) => n.opType === 'ZipMap'));

  const { features, expected } = irisRows();
  const out = await session.run({ float_input: { type: 'float32', dims: [150, 4], data: features } });
  assert.deepEqual(out.output_probability.dims, [150, 3]);
  const probs = out.output_probability.data as Float32Array;
  const labels = out.output_label.data as BigInt64Array;
  for (let r = 0; r < 150; r++) {
    assert.equal(labels[r], BigInt(expected[r][0]));
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(probs[r * 3 + k] - Number(expected[r][1 + k])) < 1e-5);
  }
  await session.release();
});

test('string class labels come from classlabels_strings', async () => {
  const loaded = await loadModel(fixture('models', 'iris-zipmap-strings.onnx'));
  let rewrites: ReturnType<typeof stripZipMap> = [];
  const session = await openSession(loaded, { transform: (m) => (rewrites = stripZipMap(m)) });
  assert.deepEqual(rewrites[0].labels, ['setosa', 'versicolor', 'virginica']);
  const out = await session.run({
    float_input: { type: 'float32', dims: [1, 4], data: new Float32Array([5.1, 3.5, 1.4, 0.2]) },
  });
  assert.deepEqual(out.output_label.data, ['setosa']);
  await session.release();
});

test('without the rewrite only tensor outputs are fetched, so ZipMap models still run', async () => {
  const session = await openSession(await loadModel(fixture('models', 'iris-zipmap.onnx')));
  assert.deepEqual(
    session.tensorOutputs.map((o) => o.name),
    ['output_label'],
  );
  const out = await session.run({
    float_input: { type: 'float32', dims: [1, 4], data: new Float32Array([6.7, 3.0, 5.2, 2.3]) },
  });
  assert.deepEqual(Object.keys(out), ['output_label']);
  await session.release();
});

test('onnxruntime errors become MlopsErrors naming the model and the inputs', async () => {
  const session = await openSession(await loadModel(fixture('models', 'fixed-batch.onnx')));
  await assert.rejects(
    session.run({ input: { type: 'float32', dims: [2, 4], data: new Float32Array(8) } }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'RUNTIME_RUN_FAILED');
      assert.match(err.message, /fixed-batch\.onnx on inputs input float32\[2, 4\]/);
      assert.doesNotMatch(err.message, /onnxruntime_src/);
      return true;
    },
  );
  await session.release();
});

test('per-column models take int64, bool, double and string inputs', async () => {
  const session = await openSession(await loadModel(fixture('models', 'per-column.onnx')));
  const out = await session.run({
    age: { type: 'float32', dims: [2, 1], data: new Float32Array([30, 40]) },
    income: { type: 'float64', dims: [2, 1], data: new Float64Array([1000, 2000]) },
    visits: { type: 'int64', dims: [2, 1], data: new BigInt64Array([1n, 2n]) },
    member: { type: 'bool', dims: [2, 1], data: new Uint8Array([1, 0]) },
    city: { type: 'string', dims: [2, 1], data: ['paris', 'berlin'] },
  });
  assert.deepEqual(out.score.dims, [2, 1]);
  assert.ok((out.score.data as Float32Array).every(Number.isFinite));
  await session.release();
});

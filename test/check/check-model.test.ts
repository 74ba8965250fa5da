import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkModel } from '../../src/check/index.js';
import { fixture, tempDir } from '../helpers.js';

const codes = (r: Awaited<ReturnType<typeof checkModel>>) => r.problems.map((p) => p.code);

test('good models pass every stage, running at batch 1 and 7', async () => {
  for (const name of ['mlp', 'mlp-dynamo', 'cnn', 'iris-zipmap', 'per-column']) {
    const r = await checkModel({ model: fixture('models', `${name}.onnx`) });
    assert.equal(r.passed, true, `${name}: ${codes(r)}`);
    assert.deepEqual(
      r.runs.map((x) => x.symbolic_size),
      [1, 7],
      name,
    );
    assert.ok(
      r.runs.every((x) => !x.error && x.outputs.length > 0),
      name,
    );
  }
});

test('parity with torch on the ONNX test-data sets passes', async () => {
  for (const name of ['mlp', 'cnn', 'mlp-dynamo', 'float64-input', 'fixed-batch']) {
    const r = await checkModel({ model: fixture('models', `${name}.onnx`), testData: fixture('testdata', name) });
    assert.equal(r.parity?.passed, true, name);
    assert.equal(r.passed, true, `${name}: ${codes(r)}`);
    assert.ok(r.parity!.sets[0].outputs[0].max_abs_error < 1e-5, name);
  }
});

test('a perturbed expected output fails parity and points at the element', async () => {
  const r = await checkModel({ model: fixture('models', 'mlp.onnx'), testData: fixture('testdata', 'mlp-wrong') });
  assert.equal(r.passed, false);
  assert.deepEqual(codes(r), ['PARITY_MISMATCH']);
  const out = r.parity!.sets[0].outputs[0];
  assert.equal(out.mismatches, 1);
  assert.equal(out.total, 10);
  assert.deepEqual(out.worst!.index, [2, 1]);
  assert.ok(Math.abs(out.max_abs_error - 0.5) < 1e-5);
  // With a tolerance that admits 0.5 it passes.
  const loose = await checkModel({
    model: fixture('models', 'mlp.onnx'),
    testData: fixture('testdata', 'mlp-wrong'),
    atol: 0.6,
  });
  assert.equal(loose.passed, true);
});

test('tabular parity from CSV: one 2-D input, ZipMap classifier, per-column inputs', async () => {
  const mlp = await checkModel({
    model: fixture('models', 'mlp.onnx'),
    input: fixture('data', 'mlp.csv'),
    expected: fixture('data', 'mlp.expected.csv'),
    ignore: ['id'],
  });
  assert.equal(mlp.parity?.passed, true);
  assert.equal(mlp.parity!.sets[0].outputs[0].total, 400);
  const iris = await checkModel({
    model: fixture('models', 'iris-zipmap.onnx'),
    input: fixture('data', 'iris.csv'),
    expected: fixture('data', 'iris.expected.csv'),
    ignore: ['species'],
  });
  assert.deepEqual(
    iris.parity!.sets[0].outputs.map((o) => [o.output, o.total, o.passed]),
    [
      ['output_label', 150, true],
      ['output_probability', 450, true],
    ],
  );
  const perColumn = await checkModel({
    model: fixture('models', 'per-column.onnx'),
    input: fixture('data', 'per-column.csv'),
    expected: fixture('data', 'per-column.expected.csv'),
  });
  assert.equal(perColumn.parity?.passed, true);
});

test('CSV that does not fit the model is an input error naming file, line and column', async () => {
  const dir = tempDir('mlops-check-');
  await assert.rejects(
    checkModel({
      model: fixture('models', 'mlp.onnx'),
      input: fixture('data', 'mlp.csv'),
      expected: fixture('data', 'mlp.expected.csv'),
    }),
    {
      code: 'CSV_FEATURE_COUNT',
      message: /model input "input" \(float32\) takes 30 features, but .*mlp\.csv has 31 numeric columns/,
    },
  );
  const bad = path.join(dir, 'bad.csv');
  writeFileSync(bad, 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n4.9,abc,1.4,0.2\n');
  const expected = path.join(dir, 'expected.csv');
  writeFileSync(expected, 'label,p0,p1,p2\n0,1,0,0\n0,1,0,0\n');
  await assert.rejects(
    checkModel({ model: fixture('models', 'iris-zipmap.onnx'), input: bad, expected }),
    (err: Error & { exitCode?: number }) => {
      assert.equal((err as { code?: string }).code, 'CSV_BAD_VALUE');
      assert.match(err.message, /bad\.csv:3: column "sepal_width": "abc" is not a number/);
      assert.equal(err.exitCode, 2);
      return true;
    },
  );
  const ragged = path.join(dir, 'ragged.csv');
  writeFileSync(ragged, 'a,b\n1,2\n3\n');
  // Rows pair with the expected file's by position: a bad row is refused with its line, never skipped.
  await assert.rejects(
    checkModel({ model: fixture('models', 'iris-zipmap.onnx'), input: ragged, expected }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CSV_BAD_ROW');
      assert.match(err.message, /ragged\.csv:3: has 1 field, the header has 2/);
      return true;
    },
  );
  await assert.rejects(checkModel({ model: fixture('models', 'mlp.onnx'), input: fixture('data', 'mlp.csv') }), {
    code: 'OPTION_MISSING',
  });
});

test('a model that loads but yields NaN fails the run stage', async () => {
  const r = await checkModel({ model: fixture('broken', 'nan-weights.onnx') });
  assert.equal(r.passed, false);
  assert.deepEqual(codes(r), ['OUTPUT_NONFINITE']);
  assert.equal(r.stages.find((s) => s.name === 'run')!.status, 'failed');
});

test('a model onnxruntime refuses fails the load stage and skips the run', async () => {
  const r = await checkModel({ model: fixture('broken', 'custom-domain.onnx') });
  assert.deepEqual(codes(r), ['OP_CUSTOM_DOMAIN', 'RUNTIME_LOAD_FAILED']);
  assert.deepEqual(
    r.stages.map((s) => s.status),
    ['failed', 'passed', 'failed', 'skipped', 'skipped'],
  );
});

test('unreadable model files are input errors (exit 2), never crashes', async () => {
  for (const [file, message] of [
    ['truncated.onnx', /ends early .*truncated file/],
    ['empty.onnx', /is empty \(0 bytes\)/],
    ['not-onnx.onnx', /is not an ONNX model/],
    ['garbage.onnx', /is not an ONNX model/],
  ] as const) {
    await assert.rejects(
      checkModel({ model: fixture('broken', file) }),
      (err: Error & { exitCode?: number; code?: string }) => {
        assert.equal(err.code, 'ONNX_DECODE_FAILED', file);
        assert.equal(err.exitCode, 2);
        assert.match(err.message, message);
        assert.ok(err.message.includes(file), 'names the file');
        return true;
      },
    );
  }
  await assert.rejects(checkModel({ model: fixture('models', 'nope.onnx') }), {
    code: 'MODEL_NOT_FOUND',
    message: /model file .*nope\.onnx does not exist/,
  });
});

test('random bytes never crash or hang the decoder', async () => {
  const dir = tempDir('mlops-fuzz-');
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 200; i++) {
    const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(next() * 300) }, () => Math.floor(next() * 256)));
    const file = path.join(dir, `f${i}.onnx`);
    writeFileSync(file, bytes);
    try {
      await checkModel({ model: file });
    } catch (err) {
      assert.equal((err as { exitCode?: number }).exitCode, 2, `f${i}: ${(err as Error).stack}`);
    }
  }
});

test('corrupted copies of a real model give a verdict or an input error, never an internal error', async () => {
  const dir = tempDir('mlops-mutate-');
  const { readFileSync } = await import('node:fs');
  const original = readFileSync(fixture('models', 'mlp-dynamo.onnx'));
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const verdicts = { passed: 0, failed: 0, input_error: 0 };
  for (let i = 0; i < 150; i++) {
    const bytes = Buffer.from(original);
    for (let k = 0; k < 3; k++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
    const file = path.join(dir, `m${i}.onnx`);
    writeFileSync(file, i % 5 === 0 ? bytes.subarray(0, Math.floor(next() * bytes.length)) : bytes);
    try {
      const r = await checkModel({ model: file });
      verdicts[r.passed ? 'passed' : 'failed']++;
    } catch (err) {
      assert.equal((err as { exitCode?: number }).exitCode, 2, `m${i}: ${(err as Error).stack}`);
      verdicts.input_error++;
    }
  }
  assert.ok(verdicts.failed > 0 && verdicts.input_error > 0, JSON.stringify(verdicts));
});

test('a failure on synthesized inputs is only a warning when real test data runs', async () => {
  const { onnx, encodeModel, encodeTensor } = await import('../../src/onnx/proto.js');
  const { tensorToProto } = await import('../../src/onnx/tensor.js');
  const { mkdirSync } = await import('node:fs');
  const dir = tempDir('mlops-expand-');
  const vi = (name: string, elemType: number, dims: number[]) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  // Expand reads its target shape from an input: 0/1 values make an invalid shape.
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'expand',
      node: [{ opType: 'Expand', input: ['X', 'shape'], output: ['Y'] }],
      input: [vi('X', 1, [1, 3, 1]), vi('shape', 7, [3])],
      output: [{ name: 'Y', type: { tensorType: { elemType: 1 } } }],
    },
  });
  writeFileSync(path.join(dir, 'model.onnx'), encodeModel(model));
  const set = path.join(dir, 'test_data_set_0');
  mkdirSync(set);
  writeFileSync(
    path.join(set, 'input_0.pb'),
    encodeTensor(tensorToProto({ name: 'X', type: 'float32', dims: [1, 3, 1], data: new Float32Array([1, 2, 3]) })),
  );
  writeFileSync(
    path.join(set, 'input_1.pb'),
    encodeTensor(tensorToProto({ name: 'shape', type: 'int64', dims: [3], data: new BigInt64Array([2n, 1n, 2n]) })),
  );
  writeFileSync(
    path.join(set, 'output_0.pb'),
    encodeTensor(
      tensorToProto({
        name: 'Y',
        type: 'float32',
        dims: [2, 3, 2],
        data: new Float32Array([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]),
      }),
    ),
  );

  const alone = await checkModel({ model: path.join(dir, 'model.onnx') });
  assert.equal(alone.passed, false);
  assert.deepEqual(
    alone.problems.filter((p) => p.severity === 'error').map((p) => p.code),
    ['RUNTIME_RUN_FAILED'],
  );
  const withData = await checkModel({ testData: dir });
  assert.equal(withData.passed, true);
  const runFailure = withData.problems.find((p) => p.code === 'RUNTIME_RUN_FAILED')!;
  assert.equal(runFailure.severity, 'warning');
  assert.match(runFailure.message, /only concerns synthesized inputs/);
  assert.equal(withData.parity?.passed, true);
});

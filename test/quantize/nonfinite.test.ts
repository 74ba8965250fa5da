import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { quantizeModel } from '../../src/quantize/index.js';
import { listRegistry } from '../../src/registry/index.js';
import { onnx, encodeModel } from '../../src/onnx/proto.js';
import { tensorToProto } from '../../src/onnx/tensor.js';
import { fixture, tempDir } from '../helpers.js';

/**
 * x [N, 2] -> MatMul W -> Log. W's second column (0.001) rounds to 0 in int8
 * next to the first (1.0), so the int8 model takes Log(0) = -Inf where the float
 * model takes Log(0.001 * (x0 + x1)), finite for positive inputs.
 */
function logModel(dir: string): string {
  const vi = (name: string) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }] } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'log-of-matmul',
      node: [
        { opType: 'MatMul', name: 'mm', input: ['x', 'W'], output: ['y'] },
        { opType: 'Log', name: 'log', input: ['y'], output: ['z'] },
      ],
      initializer: [
        tensorToProto({ name: 'W', type: 'float32', dims: [2, 2], data: Float32Array.of(1, 0.001, 1, 0.001) }),
      ],
      input: [vi('x')],
      output: [vi('z')],
    },
  });
  const file = path.join(dir, 'log.onnx');
  writeFileSync(file, encodeModel(model));
  return file;
}

test('an int8 model that outputs -Inf where the float model does not is refused, without --validate too', async () => {
  const dir = tempDir('mlops-q-nan-');
  const model = logModel(dir);
  const output = path.join(dir, 'out.onnx');
  await assert.rejects(quantizeModel({ model, output }), (err: Error & { code?: string; exitCode?: number }) => {
    assert.equal(err.code, 'QUANTIZE_NONFINITE');
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /output "z" .*NaN\/Inf.* where the float model('s)? .*finite/);
    assert.match(err.message, /synthesized/);
    return true;
  });
  assert.equal(existsSync(output), false, 'nothing written');
});

test('validation rows that give NaN/Inf refuse the model, and --register registers nothing', async () => {
  const dir = tempDir('mlops-q-nan-');
  const registry = tempDir('mlops-q-nan-reg-');
  const model = logModel(dir);
  const csv = path.join(dir, 'rows.csv');
  writeFileSync(csv, 'a,b\n0.5,0.25\n1,2\n3,0.125\n');
  const output = path.join(dir, 'out.onnx');
  await assert.rejects(
    quantizeModel({ model, output, validate: csv, register: 'log-int8', registry }),
    (err: Error & { code?: string; exitCode?: number }) => {
      assert.equal(err.code, 'QUANTIZE_NONFINITE');
      assert.equal(err.exitCode, 1);
      assert.match(err.message, /3 of 3 rows of .*rows\.csv/);
      return true;
    },
  );
  assert.equal(existsSync(output), false, 'nothing written');
  assert.deepEqual(await listRegistry({ registry }), { models: [], damaged: [] }, 'nothing registered');
});

test('a float model that already outputs NaN is not blamed on quantization', async () => {
  const dir = tempDir('mlops-q-nan-');
  const output = path.join(dir, 'out.onnx');
  // The CNN's float outputs are finite: it quantizes and reports which data the NaN/Inf check ran on.
  const r = await quantizeModel({
    model: fixture('models', 'cnn.onnx'),
    output,
    mode: 'static',
    calibration: fixture('data', 'cnn-calibration'),
  });
  assert.deepEqual(r.finite_check, {
    data: 'calibration',
    source: fixture('data', 'cnn-calibration'),
    rows: 256,
    finite_rows: 256,
  });
  const d = await quantizeModel({ model: fixture('models', 'mlp.onnx'), output: path.join(dir, 'mlp.onnx') });
  assert.deepEqual(d.finite_check, { data: 'synthesized', source: 'floats in [0, 1)', rows: 4, finite_rows: 4 });
});

test('out-of-range numbers are refused by the library too, naming the option', async () => {
  const dir = tempDir('mlops-q-nan-');
  const output = path.join(dir, 'out.onnx');
  const calibration = fixture('data', 'cnn-calibration');
  for (const percentile of [200, 100.5, 0, 30, Number.NaN]) {
    await assert.rejects(
      quantizeModel({
        model: fixture('models', 'cnn.onnx'),
        output,
        mode: 'static',
        calibration,
        calibrate: 'percentile',
        percentile,
      }),
      { code: 'OPTION_INVALID', message: /^`percentile` must be/ },
    );
  }
  assert.equal(existsSync(output), false);
});

test('a NaN/Inf check that could compare nothing does not pass: the float model NaN on every validation row is exit 2', async () => {
  const dir = tempDir('mlops-q-nan-');
  const model = logModel(dir);
  const csv = path.join(dir, 'negative.csv');
  // Log of a negative sum: NaN in the float model on every row.
  writeFileSync(csv, 'a,b\n-5,-5\n-3,-3\n-1,-1\n');
  const output = path.join(dir, 'out.onnx');
  await assert.rejects(
    quantizeModel({ model, output, validate: csv }),
    (err: Error & { code?: string; exitCode?: number }) => {
      assert.equal(err.code, 'QUANTIZE_NOTHING_CHECKED');
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /NaN\/Inf on every one of the 3 rows of validation data .*negative\.csv/);
      return true;
    },
  );
  assert.equal(existsSync(output), false);
});

test('calibration data holding NaN or Inf is refused, naming the row', async () => {
  const dir = tempDir('mlops-q-nan-');
  const csv = path.join(dir, 'calib.csv');
  writeFileSync(csv, 'a,b\n1,2\n3,inf\n5,6\n');
  await assert.rejects(
    quantizeModel({ model: logModel(dir), output: path.join(dir, 'out.onnx'), mode: 'static', calibration: csv }),
    { code: 'SAMPLES_NONFINITE', message: /calibration data .*calib\.csv: row 2 of input "x" holds Infinity/ },
  );
});

test('an output that is -Inf in both models (a legitimate Log(0)) leaves the other figures finite', async () => {
  const dir = tempDir('mlops-q-nan-');
  const vi = (name: string, k: number) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: k }] } } },
  });
  const file = path.join(dir, 'log-sum.onnx');
  writeFileSync(
    file,
    encodeModel(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: {
          name: 'log-of-sum',
          node: [
            { opType: 'MatMul', name: 'mm', input: ['x', 'W'], output: ['y'] },
            { opType: 'Log', name: 'log', input: ['y'], output: ['z'] },
          ],
          initializer: [tensorToProto({ name: 'W', type: 'float32', dims: [2, 1], data: Float32Array.of(1, 1) })],
          input: [vi('x', 2)],
          output: [vi('z', 1)],
        },
      }),
    ),
  );
  const csv = path.join(dir, 'rows.csv');
  writeFileSync(csv, 'a,b\n1,2\n0,0\n3,4\n0.5,0.25\n');
  const r = await quantizeModel({ model: file, output: path.join(dir, 'out.onnx'), validate: csv });
  const z = r.validation!.outputs[0];
  assert.ok(Number.isFinite(z.max_abs_diff) && Number.isFinite(z.mean_abs_diff), JSON.stringify(z));
  assert.ok(z.max_abs_diff < 0.1);
});

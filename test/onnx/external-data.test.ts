import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { hasExternalData, inlineExternalData } from '../../src/onnx/load-model.js';
import { loadModel } from '../../src/models/load-model.js';
import { resolveExternalPath } from '../../src/onnx/external-data.js';
import { onnx } from '../../src/onnx/proto.js';
import { tensorFromProto } from '../../src/onnx/tensor.js';
import { fixture, tempDir } from '../helpers.js';

test('external data is read from the model folder', async () => {
  const loaded = await loadModel(fixture('models', 'external-data', 'model.onnx'));
  assert.ok(hasExternalData(loaded.model));
  await inlineExternalData(loaded.model, loaded.dir);
  assert.ok(!hasExternalData(loaded.model));
  const w = loaded.model.graph!.initializer!.find((t) => t.dims!.length === 2)!;
  const values = tensorFromProto(w).data as Float32Array;
  assert.equal(values.length, 12);
  assert.ok(values.some((v) => v !== 0));
});

test('external data paths that leave the model folder are refused', async () => {
  const loaded = await loadModel(fixture('broken', 'external-escape', 'model.onnx'));
  await assert.rejects(inlineExternalData(loaded.model, loaded.dir), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'EXTERNAL_DATA_OUTSIDE_MODEL_DIR');
    assert.match(err.message, /\.\.\/\.\.\/\.\.\/etc\/passwd/);
    return true;
  });
  const absolute = onnx.TensorProto.create({
    name: 'w',
    dataType: 1,
    dims: [1],
    dataLocation: 1,
    externalData: [{ key: 'location', value: '/etc/passwd' }],
  });
  await assert.rejects(resolveExternalPath(loaded.dir, absolute), { code: 'EXTERNAL_DATA_OUTSIDE_MODEL_DIR' });
});

test('a symlink inside the folder that points outside it is refused', async () => {
  const dir = tempDir('mlops-ext-');
  const outside = tempDir('mlops-outside-');
  writeFileSync(path.join(outside, 'secret.bin'), Buffer.alloc(48));
  symlinkSync(path.join(outside, 'secret.bin'), path.join(dir, 'weights.bin'));
  const tensor = onnx.TensorProto.create({
    name: 'w',
    dataType: 1,
    dims: [12],
    dataLocation: 1,
    externalData: [{ key: 'location', value: 'weights.bin' }],
  });
  await assert.rejects(resolveExternalPath(dir, tensor), { code: 'EXTERNAL_DATA_OUTSIDE_MODEL_DIR' });
});

test('missing and truncated external files are named', async () => {
  const dir = tempDir('mlops-ext-');
  mkdirSync(path.join(dir, 'm'));
  copyFileSync(fixture('models', 'external-data', 'model.onnx'), path.join(dir, 'm', 'model.onnx'));
  const loaded = await loadModel(path.join(dir, 'm', 'model.onnx'));
  await assert.rejects(inlineExternalData(loaded.model, loaded.dir), {
    code: 'EXTERNAL_DATA_MISSING',
    message: /external data file .*weights\.bin does not exist/,
  });
  writeFileSync(path.join(dir, 'm', 'weights.bin'), Buffer.alloc(10));
  await assert.rejects(inlineExternalData(loaded.model, loaded.dir), {
    code: 'EXTERNAL_DATA_TRUNCATED',
    message: /has 10 bytes, but offset \d+ \+ length \d+ goes past its end/,
  });
});

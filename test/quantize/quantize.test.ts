import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { quantizeModel } from '../../src/quantize/index.js';
import { computeScaleZeroPoint, quantRange, quantizeValue, roundHalfEven } from '../../src/quantize/formulas.js';
import { loadModel } from '../../src/models/load-model.js';
import { getUnknownFields } from '../../src/onnx/proto.js';
import { tensorFromProto } from '../../src/onnx/tensor.js';
import { openSession } from '../../src/runtime/session.js';
import { showVersion } from '../../src/registry/index.js';
import { registerModel } from '../../src/release/index.js';
import { fixture } from '../helpers.js';
import { tempDir } from '../registry/helpers.js';

async function initializers(file: string): Promise<Map<string, ReturnType<typeof tensorFromProto>>> {
  const { model } = await loadModel(file);
  return new Map((model.graph!.initializer ?? []).map((t) => [t.name ?? '', tensorFromProto(t)]));
}

test('formulas: round half to even, zero representable, symmetric int8 and reduced ranges', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven), [0, 2, 2, -0, -2, -2, 2, -3]);
  assert.deepEqual(quantRange('int8', { symmetric: true }), { qmin: -127, qmax: 127 });
  assert.deepEqual(quantRange('int8', { reduceRange: true }), { qmin: -64, qmax: 64 });
  assert.deepEqual(quantRange('uint8', { reduceRange: true }), { qmin: 0, qmax: 127 });
  // All-positive data: 0 still representable, zero point at qmin.
  const p = computeScaleZeroPoint(0.5, 2, quantRange('uint8'), false);
  assert.equal(p.zeroPoint, 0);
  assert.equal(p.scale, Math.fround(2 / 255));
  const sym = computeScaleZeroPoint(-0.3, 1.27, quantRange('int8', { symmetric: true }), true);
  assert.equal(sym.zeroPoint, 0);
  assert.equal(sym.scale, Math.fround(2.54 / 254));
  assert.equal(quantizeValue(1.27, sym, quantRange('int8', { symmetric: true })), 127);
  assert.equal(quantizeValue(-5, sym, quantRange('int8', { symmetric: true })), -127, 'clipped');
  assert.deepEqual(
    computeScaleZeroPoint(0, 0, quantRange('int8'), true),
    { scale: 1, zeroPoint: 0 },
    'degenerate range',
  );
});

test('dynamic MLP: int8 weights and scales equal onnxruntime.quantization element for element', async () => {
  const dir = tempDir('mlops-q-');
  for (const [perChannel, reference] of [
    [false, 'mlp.ort-int8.onnx'],
    [true, 'mlp.ort-int8-per-channel.onnx'],
  ] as const) {
    const output = path.join(dir, `mlp-${perChannel}.onnx`);
    const r = await quantizeModel({
      model: fixture('models', 'mlp.onnx'),
      output,
      perChannel,
      validate: fixture('data', 'mlp.csv'),
      ignore: ['id'],
    });
    assert.deepEqual(
      r.quantized.map((q) => q.name),
      ['/fc1/Gemm', '/fc2/Gemm', '/fc3/Gemm'],
    );
    if (!perChannel) assert.ok(r.size_ratio <= 0.27, `size ratio ${r.size_ratio}`);
    assert.ok(r.output.size_bytes <= statSync(fixture('models', reference)).size, "no bigger than onnxruntime's file");
    const ours = await initializers(output);
    const theirs = await initializers(fixture('models', reference));
    for (const [name, tensor] of theirs) {
      assert.ok(ours.has(name), `${name} exists`);
      assert.deepEqual(ours.get(name)!.dims, tensor.dims, name);
      assert.deepEqual(ours.get(name)!.data, tensor.data, `${name} equals onnxruntime's`);
    }
    assert.equal(r.validation!.outputs[0].argmax_agreement! >= 0.995, true);
    // Same weights, same graph pattern: the same outputs as onnxruntime's quantized model.
    const a = await openSession(await loadModel(output));
    const b = await openSession(await loadModel(fixture('models', reference)));
    const x = {
      input: {
        type: 'float32' as const,
        dims: [3, 30],
        data: Float32Array.from({ length: 90 }, (_, i) => Math.sin(i)),
      },
    };
    assert.deepEqual((await a.run(x)).logits.data, (await b.run(x)).logits.data);
    await a.release();
    await b.release();
  }
});

test('torch dynamo export (IR 10): quantized, runs, and untouched nodes keep their metadata', async () => {
  const dir = tempDir('mlops-q-');
  const output = path.join(dir, 'dynamo.int8.onnx');
  const r = await quantizeModel({ model: fixture('models', 'mlp-dynamo.onnx'), output });
  assert.equal(r.quantized.length, 2);
  const { model } = await loadModel(output);
  const relu = model.graph!.node!.find((n) => n.opType === 'Relu')!;
  assert.ok(getUnknownFields(relu), 'Relu keeps its IR 10 metadata_props');
  assert.equal(Number(model.irVersion), 10);
});

test('shared weights are quantized once; a weight behind Transpose is folded', async () => {
  const dir = tempDir('mlops-q-');
  const output = path.join(dir, 'shared.int8.onnx');
  const r = await quantizeModel({ model: fixture('models', 'shared-weights.onnx'), output });
  assert.deepEqual(
    r.quantized.map((q) => q.name),
    ['first', 'second', 'third'],
  );
  const { model } = await loadModel(output);
  const graph = model.graph!;
  const mm = graph.node!.filter((n) => n.opType === 'MatMulInteger');
  assert.equal(mm[0].input![1], mm[1].input![1], 'first and second share one int8 weight');
  assert.notEqual(mm[2].input![1], mm[0].input![1]);
  assert.ok(!graph.node!.some((n) => n.opType === 'Transpose'), 'the Transpose of the weight is gone');
  assert.ok(!graph.initializer!.some((t) => t.name === 'W'), 'the float weight is gone');
  const float = await openSession(await loadModel(fixture('models', 'shared-weights.onnx')));
  const int8 = await openSession(await loadModel(output));
  const x = {
    x: { type: 'float32' as const, dims: [4, 16], data: Float32Array.from({ length: 64 }, (_, i) => Math.cos(i)) },
  };
  const [a, b] = [await float.run(x), await int8.run(x)];
  for (const name of ['y1', 'y2']) {
    const fa = a[name].data as Float32Array;
    const fb = b[name].data as Float32Array;
    const scale = Math.max(...Array.from(fa, Math.abs));
    fa.forEach((v, i) => assert.ok(Math.abs(v - fb[i]) < 0.05 * scale, `${name}[${i}]`));
  }
  await float.release();
  await int8.release();
});

test('static QDQ on the CNN: calibrated from .npy images, Relu folded, close to float', async () => {
  const dir = tempDir('mlops-q-');
  const output = path.join(dir, 'cnn.int8.onnx');
  const calibration = fixture('data', 'cnn-calibration');
  const r = await quantizeModel({
    model: fixture('models', 'cnn.onnx'),
    output,
    mode: 'static',
    calibration,
    perChannel: true,
    validate: calibration,
  });
  assert.deepEqual(
    r.quantized.map((q) => [q.op_type, q.per_channel]),
    [
      ['Conv', true],
      ['Gemm', true],
    ],
  );
  assert.match(r.quantized[0].how, /Relu folded/);
  assert.equal(r.calibration!.rows, 256);
  assert.ok(
    r.validation!.outputs[0].argmax_agreement! >= 0.97,
    `agreement ${r.validation!.outputs[0].argmax_agreement}`,
  );
  const { model } = await loadModel(output);
  const ops = model.graph!.node!.map((n) => n.opType);
  assert.ok(ops.includes('QuantizeLinear') && ops.includes('DequantizeLinear'));
  assert.ok(!ops.includes('Relu'));
  // Weights on the DequantizeLinear are the formula's: recompute one channel.
  const inits = await initializers(output);
  const w = tensorFromProto(
    (await loadModel(fixture('models', 'cnn.onnx'))).model.graph!.initializer!.find((t) => t.name === 'conv.weight')!,
  ).data as Float32Array;
  const scale = (inits.get('conv.weight_scale')!.data as Float32Array)[0];
  const q = inits.get('conv.weight_quantized')!.data as Int8Array;
  for (let i = 0; i < 9; i++)
    assert.equal(q[i], quantizeValue(w[i], { scale, zeroPoint: 0 }, quantRange('int8', { symmetric: true })));
});

test('clear errors: nothing to quantize, missing calibration, calibration that does not fit, external data', async () => {
  const dir = tempDir('mlops-q-');
  const output = path.join(dir, 'out.onnx');
  await assert.rejects(quantizeModel({ model: fixture('models', 'iris-zipmap.onnx'), output }), {
    code: 'QUANTIZE_NOTHING',
  });
  await assert.rejects(quantizeModel({ model: fixture('models', 'float64-input.onnx'), output }), {
    code: 'QUANTIZE_NOTHING',
    message: /the weight is float64; only float32 weights are quantized/,
  });
  await assert.rejects(quantizeModel({ model: fixture('models', 'cnn.onnx'), output, mode: 'static' }), {
    code: 'QUANTIZE_NO_CALIBRATION',
  });
  await assert.rejects(
    quantizeModel({
      model: fixture('models', 'mlp.onnx'),
      output,
      mode: 'static',
      calibration: fixture('data', 'iris.csv'),
    }),
    {
      code: 'CSV_FEATURE_COUNT',
      message:
        /calibration data: model input "input" \(float32\) takes 30 features, but .*iris\.csv has 5 numeric columns/,
    },
  );
  const bad = path.join(dir, 'x.npy');
  writeFileSync(bad, readFileSync(path.join(fixture('data', 'cnn-calibration'), 'image.npy')).subarray(0, 40));
  await assert.rejects(
    quantizeModel({ model: fixture('models', 'mlp.onnx'), output, mode: 'static', calibration: dir }),
    { code: 'SAMPLES_INVALID', message: /x\.npy (has shape|is not)/ },
  );
  await assert.rejects(quantizeModel({ model: fixture('models', 'external-data', 'model.onnx'), output }), {
    code: 'QUANTIZE_EXTERNAL_DATA',
  });
  assert.equal(existsSync(output), false, 'nothing written on failure');
});

test('--register records the result with its parent and the validation figures', async () => {
  const registry = tempDir('mlops-q-reg-');
  const dir = tempDir('mlops-q-');
  await registerModel({ registry, name: 'mlp', file: fixture('models', 'mlp.onnx') });
  const r = await quantizeModel({
    model: 'mlp@1',
    registry,
    output: path.join(dir, 'q.onnx'),
    validate: fixture('data', 'mlp.csv'),
    ignore: ['id'],
    register: 'mlp-int8',
  });
  assert.deepEqual(r.registered, { name: 'mlp-int8', model_version: 1 });
  const shown = await showVersion({ registry, ref: 'mlp-int8@1' });
  assert.deepEqual(shown.parent, { name: 'mlp', model_version: 1 });
  assert.ok(shown.metrics.logits_argmax_agreement >= 0.995);
  assert.ok(shown.metrics.size_ratio < 0.27);
  assert.equal(shown.tags.quantization, 'dynamic');
});

test('dynamic Conv only when asked: ConvInteger with uint8 weights keeps the Conv attributes and runs', async () => {
  const dir = tempDir('mlops-q-');
  const output = path.join(dir, 'cnn.dyn.onnx');
  const r = await quantizeModel({
    model: fixture('models', 'cnn.onnx'),
    output,
    ops: ['Conv', 'Gemm'],
    validate: fixture('data', 'cnn-calibration'),
  });
  assert.deepEqual(
    r.quantized.map((q) => [q.op_type, q.how]),
    [
      ['Conv', 'ConvInteger (uint8 weights)'],
      ['Gemm', 'MatMulInteger + bias'],
    ],
  );
  const { model } = await loadModel(output);
  const conv = model.graph!.node!.find((n) => n.opType === 'ConvInteger')!;
  assert.deepEqual(conv.attribute!.map((a) => a.name).sort(), [
    'dilations',
    'group',
    'kernel_shape',
    'pads',
    'strides',
  ]);
  assert.ok(r.validation!.outputs[0].argmax_agreement! >= 0.95);
});

test('percentile calibration narrows activation ranges compared with min/max', async () => {
  const dir = tempDir('mlops-q-');
  const calibration = fixture('data', 'cnn-calibration');
  const scaleOf = async (file: string) => ((await initializers(file)).get('image_scale')!.data as Float32Array)[0];
  const minmax = path.join(dir, 'minmax.onnx');
  const pct = path.join(dir, 'pct.onnx');
  await quantizeModel({ model: fixture('models', 'cnn.onnx'), output: minmax, mode: 'static', calibration });
  const r = await quantizeModel({
    model: fixture('models', 'cnn.onnx'),
    output: pct,
    mode: 'static',
    calibration,
    calibrate: 'percentile',
    percentile: 99,
  });
  assert.equal(r.calibration!.method, 'percentile');
  assert.ok((await scaleOf(pct)) < (await scaleOf(minmax)), 'the 1st-99th percentile range is narrower than min..max');
});

test('a weight on the left of MatMul and a weight behind Cast (float64 -> float32) are handled', async () => {
  const { onnx, encodeModel } = await import('../../src/onnx/proto.js');
  const { tensorToProto } = await import('../../src/onnx/tensor.js');
  const dir = tempDir('mlops-q-');
  const w = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
  const wd = Float64Array.from({ length: 8 }, (_, i) => Math.cos(i + 1));
  const vi = (name: string, dims: Array<number | string>) => ({
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'sides',
      node: [
        { opType: 'MatMul', name: 'left', input: ['W', 'xt'], output: ['y1'] },
        {
          opType: 'Cast',
          name: 'cast_w',
          input: ['Wd'],
          output: ['Wf'],
          attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        },
        { opType: 'MatMul', name: 'right', input: ['x', 'Wf'], output: ['y2'] },
      ],
      initializer: [
        tensorToProto({ name: 'W', type: 'float32', dims: [3, 4], data: w }),
        tensorToProto({ name: 'Wd', type: 'float64', dims: [4, 2], data: wd }),
      ],
      input: [vi('xt', [4, 'N']), vi('x', ['N', 4])],
      output: [vi('y1', [3, 'N']), vi('y2', ['N', 2])],
    },
  });
  const source = path.join(dir, 'sides.onnx');
  writeFileSync(source, encodeModel(model));
  const output = path.join(dir, 'sides.int8.onnx');
  const r = await quantizeModel({ model: source, output });
  assert.deepEqual(
    r.quantized.map((q) => [q.name, q.how]),
    [
      ['left', 'int8 weight + DequantizeLinear (weight on the left)'],
      ['right', 'MatMulInteger'],
    ],
  );
  const { model: q } = await loadModel(output);
  assert.ok(
    !q.graph!.node!.some((n) => n.opType === 'Cast' && n.name === 'cast_w'),
    'the Cast of the weight is folded away',
  );
  const float = await openSession(await loadModel(source));
  const int8 = await openSession(await loadModel(output));
  const feeds = {
    xt: { type: 'float32' as const, dims: [4, 5], data: Float32Array.from({ length: 20 }, (_, i) => (i % 7) / 7) },
    x: { type: 'float32' as const, dims: [5, 4], data: Float32Array.from({ length: 20 }, (_, i) => (i % 5) / 5) },
  };
  const [a, b] = [await float.run(feeds), await int8.run(feeds)];
  for (const name of ['y1', 'y2'])
    (a[name].data as Float32Array).forEach((v, i) =>
      assert.ok(Math.abs(v - (b[name].data as Float32Array)[i]) < 0.05, `${name}[${i}]`),
    );
  await float.release();
  await int8.release();
});

import { test } from 'node:test';
import '../helpers.js'; // its temp folder takes what onnxruntime writes to $TMPDIR
import assert from 'node:assert/strict';
import { onnx, encodeModel, type NodeProto } from '../../src/onnx/proto.js';
import { createSession } from '../../src/runtime/session.js';
import { ORT_MAX_IR_VERSION, ORT_MAX_OPSET, ORT_VERSION } from '../../src/runtime/capabilities.js';
import { ortVersion } from '../../src/runtime/ort.js';

function probe(ir: number, opsets: Record<string, number>, node: NodeProto) {
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: ir,
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
    graph: { name: 'probe', node: [node], input: [vi('x')], output: [vi('y')] },
  });
  return createSession(encodeModel(model), model, 'probe').then(
    async (s) => {
      await s.release();
      return true;
    },
    () => false,
  );
}

const relu = { opType: 'Relu', input: ['x'], output: ['y'] };
const normalizer = {
  opType: 'Normalizer',
  domain: 'ai.onnx.ml',
  input: ['x'],
  output: ['y'],
  attribute: [{ name: 'norm', type: 3, s: new TextEncoder().encode('MAX') }],
};

test('the recorded runtime version is the installed one', async () => {
  assert.equal(await ortVersion(), ORT_VERSION);
});

test('recorded opset and IR limits match what onnxruntime accepts', async () => {
  const maxOpset = ORT_MAX_OPSET[''];
  assert.equal(await probe(10, { '': maxOpset }, relu), true);
  assert.equal(await probe(10, { '': maxOpset + 1 }, relu), false);
  const maxMl = ORT_MAX_OPSET['ai.onnx.ml'];
  assert.equal(await probe(10, { '': 17, 'ai.onnx.ml': maxMl }, normalizer), true);
  assert.equal(await probe(10, { '': 17, 'ai.onnx.ml': maxMl + 1 }, normalizer), false);
  assert.equal(await probe(ORT_MAX_IR_VERSION, { '': 17 }, relu), true);
  assert.equal(await probe(ORT_MAX_IR_VERSION + 1, { '': 17 }, relu), false);
});

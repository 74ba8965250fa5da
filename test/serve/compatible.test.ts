/** Which new versions may replace a served one: requests valid for the old stay valid, answers keep their form. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dim, ValueSignature } from '../../src/onnx/graph.js';
import type { ModelSignature } from '../../src/runtime/session.js';
import { incompatibilities } from '../../src/serve/compatible.js';

const tensor = (name: string, type: string, shape: Dim[] | null): ValueSignature => ({
  name,
  kind: 'tensor',
  type,
  shape,
});
const sig = (inputs: ValueSignature[], outputs: ValueSignature[]) =>
  ({ inputs, outputs, tensorOutputs: outputs }) as unknown as ModelSignature;
const served = sig([tensor('input', 'float32', ['batch', 30])], [tensor('logits', 'float32', ['batch', 2])]);

test('the same signature, renamed free dims, and a fixed input dim made free are compatible', () => {
  assert.deepEqual(incompatibilities(served, served), []);
  assert.deepEqual(
    incompatibilities(served, sig([tensor('input', 'float32', ['n', 30])], [tensor('logits', 'float32', [null, 2])])),
    [],
  );
  assert.deepEqual(
    incompatibilities(served, sig([tensor('input', 'float32', ['n', 'f'])], [tensor('logits', 'float32', ['n', 2])])),
    [],
  );
});

test('names, element types, ranks and sizes that break clients are each named', () => {
  assert.deepEqual(
    incompatibilities(served, sig([tensor('input', 'float64', ['n', 30])], [tensor('logits', 'float32', ['n', 3])])),
    ['input "input" was float32, is now float64', 'output "logits" had shape [-1, 2], now [-1, 3]'],
  );
  assert.deepEqual(
    incompatibilities(served, sig([tensor('input', 'float32', [8, 30])], [tensor('logits', 'float32', ['n', 2, 1])])),
    ['input "input" had shape [-1, 30], now [8, 30]', 'output "logits" had shape [-1, 2], now [-1, 2, 1]'],
  );
  assert.deepEqual(
    incompatibilities(served, sig([tensor('x', 'float32', ['n', 30])], [tensor('logits', 'float32', ['n', 2])])),
    ['input "input" is gone (the new inputs: x)', 'input "x" is new (clients do not send or expect it)'],
  );
});

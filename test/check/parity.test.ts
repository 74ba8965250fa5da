import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareTensors } from '../../src/check/parity.js';
import type { Tensor } from '../../src/onnx/tensor.js';

const f32 = (dims: number[], values: number[]): Tensor => ({ type: 'float32', dims, data: Float32Array.from(values) });
const f64 = (dims: number[], values: number[]): Tensor => ({ type: 'float64', dims, data: Float64Array.from(values) });
const tol = { rtol: 1e-3, atol: 1e-5 };

test('the tolerance rule is atol + rtol * |expected|, at its boundary', () => {
  // |diff| = 0.001 + 1e-5 is exactly the allowance for expected = 1.
  assert.equal(compareTensors('y', f64([1], [1.00101 - 1e-12]), f64([1], [1]), tol).passed, true);
  assert.equal(compareTensors('y', f64([1], [1.0011]), f64([1], [1]), tol).passed, false);
  // Near zero only atol counts.
  assert.equal(compareTensors('y', f64([1], [9e-6]), f64([1], [0]), tol).passed, true);
  assert.equal(compareTensors('y', f64([1], [2e-5]), f64([1], [0]), tol).passed, false);
});

test('reports max errors, mismatch count and the worst element with its index', () => {
  const r = compareTensors('logits', f32([2, 2], [1, 2, 3, 4.5]), f32([2, 2], [1, 2.001, 3, 4]), tol);
  assert.equal(r.mismatches, 1);
  assert.equal(r.total, 4);
  assert.deepEqual(r.worst, { index: [1, 1], actual: 4.5, expected: 4 });
  assert.ok(Math.abs(r.max_abs_error - 0.5) < 1e-6);
  assert.ok(Math.abs(r.max_rel_error - 0.125) < 1e-6);
});

test('NaN matches NaN, NaN against a number is a mismatch', () => {
  assert.equal(compareTensors('y', f32([2], [NaN, 1]), f32([2], [NaN, 1]), tol).passed, true);
  const r = compareTensors('y', f32([2], [NaN, 1]), f32([2], [0, 1]), tol);
  assert.equal(r.mismatches, 1);
  assert.deepEqual(r.worst?.index, [0]);
});

test('integers and strings must be equal; shapes must agree', () => {
  const labels = (v: bigint[]): Tensor => ({ type: 'int64', dims: [v.length], data: BigInt64Array.from(v) });
  assert.equal(compareTensors('label', labels([1n, 2n]), labels([1n, 2n]), tol).passed, true);
  assert.equal(compareTensors('label', labels([1n, 3n]), labels([1n, 2n]), tol).mismatches, 1);
  const s = (v: string[]): Tensor => ({ type: 'string', dims: [v.length], data: v });
  assert.equal(compareTensors('label', s(['a', 'b']), s(['a', 'c']), tol).mismatches, 1);
  const shape = compareTensors('y', f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3, 2], [1, 2, 3, 4, 5, 6]), tol);
  assert.equal(shape.passed, true, 'same element count: compared element by element');
  assert.match(shape.note!, /shape \[2, 3\] vs expected \[3, 2\]/);
  const wrong = compareTensors('y', f32([2], [1, 2]), f32([3], [1, 2, 3]), tol);
  assert.equal(wrong.passed, false);
  assert.match(wrong.note!, /differs from expected/);
});

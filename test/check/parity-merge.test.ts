/** Comparisons merged batch by batch equal one comparison of the whole tensors: counts, max errors, the worst element. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareTensors, compareWithExcess, mergeComparisons } from '../../src/check/parity.js';
import type { Tensor } from '../../src/onnx/tensor.js';
import { random } from '../../src/util/random.js';

const tolerance = { rtol: 1e-3, atol: 1e-5 };

function rows(t: Tensor, start: number, end: number): Tensor {
  const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
  return {
    ...t,
    dims: [end - start, ...t.dims.slice(1)],
    data: (t.data as Float32Array).slice(start * per, end * per),
  };
}

test('merging per-batch comparisons gives the whole-tensor comparison, for random data and batch cuts', () => {
  const next = random(7);
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + Math.floor(next() * 60);
    const k = 1 + Math.floor(next() * 3);
    const expected: Tensor = {
      type: 'float32',
      dims: [n, k],
      data: Float32Array.from({ length: n * k }, () => next() * 4 - 2),
    };
    const actual: Tensor = {
      ...expected,
      data: Float32Array.from(expected.data as Float32Array, (v) => (next() < 0.1 ? v + (next() - 0.5) * 0.01 : v)),
    };
    if (next() < 0.2) (actual.data as Float32Array)[Math.floor(next() * n * k)] = NaN;
    const whole = compareTensors('y', actual, expected, tolerance);
    const size = 1 + Math.floor(next() * n);
    let merged = compareWithExcess(
      'y',
      rows(actual, 0, Math.min(size, n)),
      rows(expected, 0, Math.min(size, n)),
      tolerance,
    );
    for (let start = size; start < n; start += size) {
      const end = Math.min(n, start + size);
      merged = mergeComparisons(
        merged,
        compareWithExcess('y', rows(actual, start, end), rows(expected, start, end), tolerance),
        start,
      );
    }
    const m = merged.comparison;
    assert.deepEqual(
      [m.total, m.mismatches, m.passed, m.expected_shape, m.actual_shape],
      [whole.total, whole.mismatches, whole.passed, whole.expected_shape, whole.actual_shape],
      `trial ${trial}`,
    );
    assert.deepEqual(m.worst, whole.worst, `trial ${trial}: worst element`);
    assert.equal(Number.isNaN(m.max_abs_error), Number.isNaN(whole.max_abs_error), `trial ${trial}`);
    if (!Number.isNaN(whole.max_abs_error)) assert.equal(m.max_abs_error, whole.max_abs_error);
  }
});

test('a [N] output against [N, 1] expected columns keeps its note with the whole shapes', () => {
  const actual: Tensor = { type: 'float32', dims: [4], data: Float32Array.of(1, 2, 3, 4) };
  const expected: Tensor = { type: 'float64', dims: [4, 1], data: Float64Array.of(1, 2, 3, 4) };
  const merged = mergeComparisons(
    compareWithExcess('y', rows(actual, 0, 2), rows(expected, 0, 2), tolerance),
    compareWithExcess('y', rows(actual, 2, 4), rows(expected, 2, 4), tolerance),
    2,
  );
  assert.equal(merged.comparison.note, compareTensors('y', actual, expected, tolerance).note);
  assert.equal(merged.comparison.passed, true);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatRows, repeatRows, sliceRows } from '../../src/onnx/tensor-rows.js';
import type { Tensor } from '../../src/onnx/tensor.js';

/** [3, 2] tensors of each element type an inference call takes or returns, rows r0, r1, r2. */
const cases: Tensor[] = [
  { name: 'x', type: 'float32', dims: [3, 2], data: new Float32Array([0.5, 1, 2.5, 3, -4, Number.NaN]) },
  { type: 'int64', dims: [3, 2], data: new BigInt64Array([1n, -(2n ** 63n), 3n, 4n, 2n ** 63n - 1n, 6n]) },
  { type: 'string', dims: [3, 2], data: ['a', 'b', 'c,d', '', 'é', 'f\ng'] },
  { type: 'bool', dims: [3, 2], data: new Uint8Array([1, 0, 0, 1, 1, 1]) },
];

const values = (t: Tensor) => Array.from(t.data as ArrayLike<unknown>);

for (const t of cases) {
  test(`sliceRows and concatRows of ${t.type}: rows out, rows back, same storage type`, () => {
    const head = sliceRows(t, 0, 1);
    const tail = sliceRows(t, 1, 3);
    assert.deepEqual(head.dims, [1, 2]);
    assert.deepEqual(tail.dims, [2, 2]);
    assert.deepEqual(values(head), values(t).slice(0, 2));
    assert.deepEqual(values(tail), values(t).slice(2, 6));
    assert.equal(head.type, t.type);
    assert.equal(head.name, t.name);
    assert.equal(head.data.constructor, t.data.constructor);

    const joined = concatRows([head, sliceRows(t, 1, 2), sliceRows(t, 2, 3)]);
    assert.deepEqual(joined.dims, [3, 2]);
    assert.equal(joined.data.constructor, t.data.constructor);
    assert.deepEqual(values(joined), values(t));
    assert.equal(joined.name, t.name);
  });
}

test('slices are copies: writing one leaves the source as it was', () => {
  const t: Tensor = { type: 'float32', dims: [2, 1], data: new Float32Array([1, 2]) };
  const s = sliceRows(t, 1, 2);
  (s.data as Float32Array)[0] = 9;
  assert.deepEqual(Array.from(t.data as Float32Array), [1, 2]);
});

test('rank-1 tensors slice by element, and empty slices keep the row shape', () => {
  const t: Tensor = { type: 'int64', dims: [4], data: new BigInt64Array([1n, 2n, 3n, 4n]) };
  assert.deepEqual(values(sliceRows(t, 1, 3)), [2n, 3n]);
  const empty = sliceRows({ type: 'float32', dims: [3, 5], data: new Float32Array(15) }, 3, 3);
  assert.deepEqual(empty.dims, [0, 5]);
  assert.equal((empty.data as Float32Array).length, 0);
});

test('a single part is returned as it is (no copy)', () => {
  const t: Tensor = { type: 'float32', dims: [1, 2], data: new Float32Array([1, 2]) };
  assert.equal(concatRows([t]), t);
});

test('repeatRows cycles through the rows to fill a batch larger than the data, and cuts a smaller one', () => {
  const t: Tensor = { type: 'string', dims: [2, 1], data: ['a', 'b'] };
  assert.deepEqual(repeatRows(t, 5).data, ['a', 'b', 'a', 'b', 'a']);
  assert.deepEqual(repeatRows(t, 5).dims, [5, 1]);
  assert.deepEqual(repeatRows(t, 1).data, ['a']);
  const i: Tensor = { type: 'int64', dims: [3], data: new BigInt64Array([1n, 2n, 3n]) };
  assert.deepEqual(Array.from(repeatRows(i, 4).data as BigInt64Array), [1n, 2n, 3n, 1n]);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DATA_TYPES } from '../../src/onnx/data-types.js';
import { decodeTensorBytes, encodeTensor, onnx, type TensorProto } from '../../src/onnx/proto.js';
import { tensorDataProblem, tensorFromProto, tensorToProto, type Tensor } from '../../src/onnx/tensor.js';
import { fixture } from '../helpers.js';

const samples: Tensor[] = [
  { type: 'float32', dims: [2, 2], data: new Float32Array([1.5, -2, 3.25, Number.NaN]) },
  { type: 'float64', dims: [3], data: new Float64Array([0.1, -1e300, 5]) },
  { type: 'int8', dims: [3], data: new Int8Array([-128, 0, 127]) },
  { type: 'uint8', dims: [2], data: new Uint8Array([0, 255]) },
  { type: 'int16', dims: [2], data: new Int16Array([-32768, 32767]) },
  { type: 'uint16', dims: [1], data: new Uint16Array([65535]) },
  { type: 'int32', dims: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
  { type: 'uint32', dims: [1], data: new Uint32Array([2 ** 32 - 1]) },
  { type: 'int64', dims: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
  { type: 'uint64', dims: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
  { type: 'bool', dims: [3], data: new Uint8Array([1, 0, 1]) },
  { type: 'float16', dims: [2], data: new Uint16Array([0x3c00, 0xc000]) },
  { type: 'bfloat16', dims: [1], data: new Uint16Array([0x3f80]) },
  { type: 'complex64', dims: [1], data: new Float32Array([1, -1]) },
  { type: 'string', dims: [2], data: ['héllo', ''] },
  { type: 'float32', dims: [], data: new Float32Array([7]) },
  { type: 'float32', dims: [0, 3], data: new Float32Array(0) },
];

test('typed arrays round-trip through TensorProto bytes for every element type', () => {
  for (const sample of samples) {
    const proto = tensorToProto({ ...sample, name: 't' });
    assert.equal(tensorDataProblem(proto), null, sample.type);
    const back = tensorFromProto(decodeTensorBytes(encodeTensor(proto)));
    assert.equal(back.type, sample.type);
    assert.deepEqual(back.dims, sample.dims);
    assert.deepEqual(back.data, sample.data, sample.type);
  }
});

test('typed fields (int32_data, int64_data, float_data, uint64_data, double_data) decode like raw_data', () => {
  const cases: Array<[TensorProto, Tensor['data']]> = [
    [{ dataType: 3, dims: [3], int32Data: [-5, 0, 7] }, new Int8Array([-5, 0, 7])],
    [{ dataType: 9, dims: [2], int32Data: [1, 0] }, new Uint8Array([1, 0])],
    [{ dataType: 10, dims: [1], int32Data: [0x3c00] }, new Uint16Array([0x3c00])],
    [
      { dataType: 7, dims: [2], int64Data: [-3, 9007199254740993n as unknown as number] },
      new BigInt64Array([-3n, 9007199254740993n]),
    ],
    [{ dataType: 1, dims: [2], floatData: [0.5, -1] }, new Float32Array([0.5, -1])],
    [{ dataType: 12, dims: [1], uint64Data: [4294967295] }, new Uint32Array([4294967295])],
    [{ dataType: 11, dims: [2], doubleData: [0.1, 0.2] }, new Float64Array([0.1, 0.2])],
  ];
  for (const [fields, expected] of cases) {
    // int64 values above 2^53 must survive: encode through protobuf with a Long.
    const proto = onnx.TensorProto.create(fields);
    if (fields.int64Data) proto.int64Data = [-3, { low: 1, high: 0x200000, unsigned: false } as never];
    const decoded = decodeTensorBytes(encodeTensor(proto));
    assert.deepEqual(tensorFromProto(decoded).data, expected, `data type ${fields.dataType}`);
  }
});

test('data inconsistent with dims is reported, not misread', () => {
  assert.match(
    tensorDataProblem(onnx.TensorProto.create({ dataType: 1, dims: [4, 3], rawData: new Uint8Array(32) }))!,
    /need 48 bytes of float32 but raw_data has 32/,
  );
  assert.match(
    tensorDataProblem(onnx.TensorProto.create({ dataType: 1, dims: [3], floatData: [1, 2] }))!,
    /need 3 values of float32 but floatData holds 2/,
  );
  assert.match(tensorDataProblem(onnx.TensorProto.create({ dataType: 1, dims: [2] }))!, /no data is stored/);
  assert.match(tensorDataProblem(onnx.TensorProto.create({ dataType: 999, dims: [1] }))!, /unsupported data type 999/);
  assert.throws(
    () => tensorFromProto(onnx.TensorProto.create({ name: 'w', dataType: 1, dims: [2], rawData: new Uint8Array(4) })),
    { code: 'TENSOR_BAD_DATA', message: /tensor "w": dims \[2\] need 8 bytes/ },
  );
});

test('every data type code has a consistent description', () => {
  const codes = new Set(DATA_TYPES.map((t) => t.code));
  assert.equal(codes.size, DATA_TYPES.length);
  for (let code = 1; code <= 23; code++) assert.ok(codes.has(code), `code ${code}`);
});

test('test-data .pb files written by onnx.numpy_helper decode to the values torch produced', () => {
  const input = tensorFromProto(
    decodeTensorBytes(readFileSync(fixture('testdata', 'mlp', 'test_data_set_0', 'input_0.pb'))),
  );
  assert.equal(input.name, 'input');
  assert.equal(input.type, 'float32');
  assert.deepEqual(input.dims, [5, 30]);
  const output = tensorFromProto(
    decodeTensorBytes(readFileSync(fixture('testdata', 'mlp', 'test_data_set_0', 'output_0.pb'))),
  );
  assert.deepEqual(output.dims, [5, 2]);
  assert.ok((output.data as Float32Array).every(Number.isFinite));
});

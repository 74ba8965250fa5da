/** TensorProto <-> typed arrays, for every element type ONNX defines. */
import { dataTypeByName, dataTypeInfo, type DataTypeInfo, type ElementType } from './data-types.js';
import { onnx, toBigInt, toNumber, type LongLike, type TensorProto } from './proto.js';
import { MlopsError } from '../util/errors.js';

export type TensorValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

/**
 * A decoded tensor. bool is stored as Uint8Array, float16/bfloat16 as their bits
 * (Uint16Array), float8 as bytes, complex as interleaved (re, im) pairs and
 * sub-byte types (int4, uint4, float4, int2, uint2) as their packed bytes:
 * the same layouts onnxruntime uses.
 */
export interface Tensor {
  name?: string;
  type: ElementType;
  dims: number[];
  data: TensorValues;
}

type NumericCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

const CTORS: Record<Exclude<ElementType, 'string'>, NumericCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  complex64: Float32Array,
  complex128: Float64Array,
  float8e4m3fn: Uint8Array,
  float8e4m3fnuz: Uint8Array,
  float8e5m2: Uint8Array,
  float8e5m2fnuz: Uint8Array,
  float8e8m0: Uint8Array,
  uint4: Uint8Array,
  int4: Uint8Array,
  float4e2m1: Uint8Array,
  uint2: Uint8Array,
  int2: Uint8Array,
};

export function arrayConstructorFor(type: Exclude<ElementType, 'string'>): NumericCtor {
  return CTORS[type];
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Length of the typed array that holds `count` elements of this type. */
export function storageLength(info: DataTypeInfo, count: number): number {
  if (info.bits < 8 && info.bits > 0) return Math.ceil((count * info.bits) / 8);
  if (info.type === 'complex64' || info.type === 'complex128') return count * 2;
  return count;
}

/** Bytes that `count` elements take in raw_data or an external file. */
export function byteLength(info: DataTypeInfo, count: number): number {
  return Math.ceil((count * info.bits) / 8);
}

export function tensorDims(tensor: TensorProto): number[] {
  return (tensor.dims ?? []).map((d) => toNumber(d as LongLike));
}

export function isExternal(tensor: TensorProto): boolean {
  return tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
}

/** raw_data bytes when the tensor stores its values there. */
function rawBytes(tensor: TensorProto): Uint8Array | undefined {
  const raw = Object.hasOwn(tensor, 'rawData') ? tensor.rawData : undefined;
  return raw && raw.length > 0 ? raw : undefined;
}

/**
 * Why the stored data does not match dims and type, or null when it does.
 * Does not read external data; for those it checks the declared length.
 */
export function tensorDataProblem(tensor: TensorProto): string | null {
  const info = dataTypeInfo(tensor.dataType ?? 0);
  if (!info) return `unsupported data type ${tensor.dataType}`;
  const dims = tensorDims(tensor);
  if (dims.some((d) => d < 0 || !Number.isSafeInteger(d))) return `invalid dims [${dims.join(', ')}]`;
  const expected = elementCount(dims);
  const shape = `[${dims.join(', ')}]`;
  if (isExternal(tensor)) {
    const length = externalEntry(tensor, 'length');
    if (length === undefined || info.bits === 0) return null;
    const bytes = Number(length);
    const want = byteLength(info, expected);
    return bytes === want
      ? null
      : `dims ${shape} need ${want} bytes of ${info.type} but external data length is ${bytes}`;
  }
  const raw = rawBytes(tensor);
  const field = tensor[info.field] as unknown[] | undefined;
  const fieldLength = field?.length ?? 0;
  if (raw && fieldLength > 0) return `both raw_data and ${info.field} are set`;
  if (raw) {
    if (info.type === 'string') return 'string tensors cannot use raw_data';
    const bytes = raw.length;
    const want = byteLength(info, expected);
    return bytes === want ? null : `dims ${shape} need ${want} bytes of ${info.type} but raw_data has ${bytes}`;
  }
  if (info.bits < 8 && info.bits > 0) return null; // packing of sub-byte types in int32_data varies by producer
  const have = fieldLength / info.fieldValuesPerElement;
  return have === expected
    ? null
    : `dims ${shape} need ${expected} values of ${info.type} but ${fieldLength === 0 ? 'no data is stored' : `${info.field} holds ${have}`}`;
}

function externalEntry(tensor: TensorProto, key: string): string | undefined {
  return tensor.externalData?.find((e) => e.key === key)?.value ?? undefined;
}

/**
 * Typed values of a tensor. `external` supplies the bytes of external data
 * (see external-data.ts); without it an external tensor is an error.
 */
export function tensorFromProto(tensor: TensorProto, external?: Uint8Array): Tensor {
  const info = dataTypeInfo(tensor.dataType ?? 0);
  const name = tensor.name || undefined;
  if (!info) {
    throw new MlopsError(
      'TENSOR_UNSUPPORTED_TYPE',
      `tensor "${tensor.name}" has unsupported data type ${tensor.dataType}`,
    );
  }
  const problem =
    isExternal(tensor) && external === undefined
      ? 'its data is stored externally and was not loaded'
      : external === undefined
        ? tensorDataProblem(tensor)
        : null;
  if (problem) throw new MlopsError('TENSOR_BAD_DATA', `tensor "${tensor.name}": ${problem}`);
  const dims = tensorDims(tensor);
  const count = elementCount(dims);
  if (info.type === 'string') {
    const decoder = new TextDecoder();
    return { name, type: 'string', dims, data: (tensor.stringData ?? []).map((b) => decoder.decode(b)) };
  }
  const ctor = CTORS[info.type as Exclude<ElementType, 'string'>];
  const raw = external ?? rawBytes(tensor);
  if (raw) return { name, type: info.type, dims, data: fromLittleEndianBytes(ctor, raw) };
  return { name, type: info.type, dims, data: fromTypedField(tensor, info, ctor, storageLength(info, count)) };
}

function fromLittleEndianBytes(ctor: NumericCtor, bytes: Uint8Array): Exclude<TensorValues, string[]> {
  // Copy into a fresh buffer: protobuf slices are not aligned for Float32Array and friends.
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new ctor(copy.buffer, 0, bytes.length / ctor.BYTES_PER_ELEMENT);
}

function fromTypedField(
  tensor: TensorProto,
  info: DataTypeInfo,
  ctor: NumericCtor,
  length: number,
): Exclude<TensorValues, string[]> {
  const values = (tensor[info.field] ?? []) as LongLike[];
  if (ctor === BigInt64Array || ctor === BigUint64Array) {
    const unsigned = ctor === BigUint64Array;
    const out = new ctor(length);
    for (let i = 0; i < length; i++) out[i] = toBigInt(values[i], unsigned);
    return out;
  }
  const out = new (ctor as Float64ArrayConstructor)(length);
  for (let i = 0; i < length; i++) out[i] = toNumber(values[i]);
  return out as Exclude<TensorValues, string[]>;
}

/** A TensorProto holding the values as raw_data (string_data for strings). */
export function tensorToProto(tensor: Tensor): TensorProto {
  const info = dataTypeByName(tensor.type);
  const proto = onnx.TensorProto.create({ dims: tensor.dims, dataType: info.code });
  if (tensor.name !== undefined) proto.name = tensor.name;
  if (tensor.type === 'string') {
    const encoder = new TextEncoder();
    proto.stringData = (tensor.data as string[]).map((s) => encoder.encode(s));
  } else {
    const data = tensor.data as Exclude<TensorValues, string[]>;
    proto.rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return proto;
}

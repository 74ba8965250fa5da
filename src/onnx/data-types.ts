/** ONNX TensorProto.DataType codes and how each is stored. */

export type TypedField = 'floatData' | 'int32Data' | 'stringData' | 'int64Data' | 'doubleData' | 'uint64Data';

export type ElementType =
  | 'float32'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'string'
  | 'bool'
  | 'float16'
  | 'float64'
  | 'uint32'
  | 'uint64'
  | 'complex64'
  | 'complex128'
  | 'bfloat16'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'uint4'
  | 'int4'
  | 'float4e2m1'
  | 'float8e8m0'
  | 'uint2'
  | 'int2';

export interface DataTypeInfo {
  code: number;
  /** TensorProto.DataType enum name. */
  onnxName: string;
  /** Name used by onnxruntime-node and in our output. */
  type: ElementType;
  /** Bits per element in raw_data (4 for packed int4, 16 for complex64 halves...). */
  bits: number;
  /** Typed field holding the values when raw_data is not used. */
  field: TypedField;
  /** Values per element in the typed field (2 for complex). */
  fieldValuesPerElement: number;
}

const T = (
  code: number,
  onnxName: string,
  type: ElementType,
  bits: number,
  field: TypedField,
  per = 1,
): DataTypeInfo => ({
  code,
  onnxName,
  type,
  bits,
  field,
  fieldValuesPerElement: per,
});

export const DATA_TYPES: readonly DataTypeInfo[] = [
  T(1, 'FLOAT', 'float32', 32, 'floatData'),
  T(2, 'UINT8', 'uint8', 8, 'int32Data'),
  T(3, 'INT8', 'int8', 8, 'int32Data'),
  T(4, 'UINT16', 'uint16', 16, 'int32Data'),
  T(5, 'INT16', 'int16', 16, 'int32Data'),
  T(6, 'INT32', 'int32', 32, 'int32Data'),
  T(7, 'INT64', 'int64', 64, 'int64Data'),
  T(8, 'STRING', 'string', 0, 'stringData'),
  T(9, 'BOOL', 'bool', 8, 'int32Data'),
  T(10, 'FLOAT16', 'float16', 16, 'int32Data'),
  T(11, 'DOUBLE', 'float64', 64, 'doubleData'),
  T(12, 'UINT32', 'uint32', 32, 'uint64Data'),
  T(13, 'UINT64', 'uint64', 64, 'uint64Data'),
  T(14, 'COMPLEX64', 'complex64', 64, 'floatData', 2),
  T(15, 'COMPLEX128', 'complex128', 128, 'doubleData', 2),
  T(16, 'BFLOAT16', 'bfloat16', 16, 'int32Data'),
  T(17, 'FLOAT8E4M3FN', 'float8e4m3fn', 8, 'int32Data'),
  T(18, 'FLOAT8E4M3FNUZ', 'float8e4m3fnuz', 8, 'int32Data'),
  T(19, 'FLOAT8E5M2', 'float8e5m2', 8, 'int32Data'),
  T(20, 'FLOAT8E5M2FNUZ', 'float8e5m2fnuz', 8, 'int32Data'),
  T(21, 'UINT4', 'uint4', 4, 'int32Data'),
  T(22, 'INT4', 'int4', 4, 'int32Data'),
  T(23, 'FLOAT4E2M1', 'float4e2m1', 4, 'int32Data'),
  T(24, 'FLOAT8E8M0', 'float8e8m0', 8, 'int32Data'),
  T(25, 'UINT2', 'uint2', 2, 'int32Data'),
  T(26, 'INT2', 'int2', 2, 'int32Data'),
];

const byCode = new Map(DATA_TYPES.map((t) => [t.code, t]));
const byType = new Map(DATA_TYPES.map((t) => [t.type, t]));

export function dataTypeInfo(code: number): DataTypeInfo | undefined {
  return byCode.get(code);
}

export function dataTypeByName(type: ElementType): DataTypeInfo {
  const info = byType.get(type);
  if (!info) throw new Error(`unknown element type ${type}`);
  return info;
}

/** Human name of a data type code, `UNDEFINED(0)` style for unknown ones. */
export function elementTypeName(code: number): string {
  return byCode.get(code)?.type ?? (code === 0 ? 'undefined' : `unknown(${code})`);
}

export const FLOAT_TYPES: ReadonlySet<ElementType> = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/**
 * Open Inference Protocol (KServe V2) datatypes <-> ONNX tensors. `data` is
 * row-major, flat or nested; FP16 travels as numbers and is stored as its
 * bits, BOOL as 0/1 bytes, BYTES as strings, as onnxruntime holds them.
 */
import type { ElementType } from '../onnx/data-types.js';
import type { Tensor, TensorValues } from '../onnx/tensor.js';

export type OipDatatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

const BY_ELEMENT: Partial<Record<ElementType, OipDatatype>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

/** A shape for a message: a hostile one of a million dimensions must not make a megabyte of error. */
export function shapeText(shape: readonly unknown[]): string {
  return shape.length <= 16 ? shape.join(', ') : `${shape.slice(0, 8).join(', ')}, ... (${shape.length} dimensions)`;
}

export function oipDatatype(type: ElementType): OipDatatype | undefined {
  return BY_ELEMENT[type];
}

/** Why a request's tensor cannot be built: the message names the input. */
export class BadTensor extends Error {}

/** Nested lists flattened without recursion: a hostile nesting depth cannot overflow the stack. */
function flatten(data: unknown, out: unknown[]): void {
  const stack: unknown[] = [data];
  while (stack.length) {
    const next = stack.pop();
    if (Array.isArray(next)) for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]);
    else out.push(next);
  }
}

/**
 * Flat `data` is read row-major whatever its length; nested `data` must nest as the shape
 * says (`[1, 30]` is one list of 30 values), else it was meant as another shape: 400, not
 * a silent flatten. Without recursion, like `flatten`.
 */
function checkNesting(name: string, shape: number[], data: unknown): void {
  if (!Array.isArray(data) || !data.some(Array.isArray)) return;
  const fail = (path: string, level: number, value: unknown) => {
    const it = Array.isArray(value) ? `a list of ${value.length}` : 'a single value';
    const want =
      level < shape.length
        ? `a list of ${shape[level]} (dimension ${level} of shape [${shapeText(shape)}])`
        : `a value (shape [${shapeText(shape)}] nests ${shape.length} deep)`;
    return new BadTensor(`input "${name}": "data"${path} should be ${want}; it is ${it}`);
  };
  // Lists above the last level carry their path; the last level's values are checked in a loop (no allocation per value).
  const stack: Array<{ value: unknown; level: number; path: string }> = [{ value: data, level: 0, path: '' }];
  const last = shape.length - 1;
  while (stack.length) {
    const { value, level, path } = stack.pop() as { value: unknown; level: number; path: string };
    if (level > last) throw fail(path, level, value);
    if (!Array.isArray(value) || value.length !== shape[level]) throw fail(path, level, value);
    if (level === last) {
      for (let i = 0; i < value.length; i++)
        if (Array.isArray(value[i])) throw fail(`${path}[${i}]`, level + 1, value[i]);
    } else
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], level: level + 1, path: `${path}[${i}]` });
  }
}

const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT16_MAX = 65504;

/** float32 -> IEEE half bits (round to nearest even), for FP16 inputs. */
function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    if ((mant >> (shift - 1)) & 1 && (mant & ((1 << (shift - 1)) - 1) || half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  if (mant & 0x1000 && (mant & 0xfff || half & 1)) half++;
  if ((half & 0x7c00) === 0x7c00 && e < 0x1f) e = 0x1f;
  return sign | half;
}

function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** A request input's values as a tensor of `type` and `shape`; throws BadTensor naming `name`. */
export function toTensor(name: string, type: ElementType, shape: number[], data: unknown): Tensor {
  checkNesting(name, shape, data);
  const values: unknown[] = [];
  flatten(data, values);
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count)
    throw new BadTensor(
      `input "${name}": shape [${shapeText(shape)}] holds ${count} values, "data" has ${values.length}`,
    );
  const numbers = (max = Number.MAX_VALUE) =>
    values.map((v, i) => {
      if (typeof v === 'number' && Number.isFinite(v)) {
        if (Math.abs(v) > max) throw new BadTensor(`input "${name}": value ${i} (${v}) is beyond what ${type} holds`);
        return v;
      }
      // JSON.parse makes 1e400 Infinity, which JSON.stringify would show as null: say what it was.
      const shown = typeof v === 'number' ? String(v) : JSON.stringify(v);
      throw new BadTensor(`input "${name}": value ${i} is ${shown}, not a finite number`);
    });
  const integers = (min: number, max: number) =>
    numbers().map((v, i) => {
      if (!Number.isInteger(v) || v < min || v > max)
        throw new BadTensor(`input "${name}": value ${i} (${v}) is not an integer in [${min}, ${max}]`);
      return v;
    });
  let out: TensorValues;
  switch (type) {
    case 'float32':
      out = Float32Array.from(numbers(FLOAT32_MAX));
      break;
    case 'float64':
      out = Float64Array.from(numbers());
      break;
    case 'float16':
      out = Uint16Array.from(numbers(FLOAT16_MAX), toHalf);
      break;
    case 'bool':
      out = Uint8Array.from(values, (v, i) => {
        if (v === true || v === 1) return 1;
        if (v === false || v === 0) return 0;
        throw new BadTensor(`input "${name}": value ${i} is ${JSON.stringify(v)}, not a boolean`);
      });
      break;
    case 'int8':
      out = Int8Array.from(integers(-128, 127));
      break;
    case 'uint8':
      out = Uint8Array.from(integers(0, 255));
      break;
    case 'int16':
      out = Int16Array.from(integers(-32768, 32767));
      break;
    case 'uint16':
      out = Uint16Array.from(integers(0, 65535));
      break;
    case 'int32':
      out = Int32Array.from(integers(-(2 ** 31), 2 ** 31 - 1));
      break;
    case 'uint32':
      out = Uint32Array.from(integers(0, 2 ** 32 - 1));
      break;
    case 'int64':
      out = BigInt64Array.from(exactIntegers(name, numbers(), true), (v) => BigInt(v));
      break;
    case 'uint64':
      out = BigUint64Array.from(exactIntegers(name, numbers(), false), (v) => BigInt(v));
      break;
    case 'string':
      out = values.map((v, i) => {
        if (typeof v !== 'string')
          throw new BadTensor(`input "${name}": value ${i} is ${JSON.stringify(v)}, not a string`);
        return v;
      });
      break;
    default:
      throw new BadTensor(`input "${name}" has type ${type}, which the protocol cannot carry`);
  }
  return { name, type, dims: shape, data: out };
}

/**
 * INT64/UINT64 values as JSON numbers. JSON.parse has already rounded a number beyond 2^53 to
 * a double (9007199254740993 arrives as ...992), so such a value is refused rather than sent
 * to the model as another integer than the client wrote.
 */
function exactIntegers(name: string, values: number[], signed: boolean): number[] {
  for (const [i, v] of values.entries()) {
    if (!Number.isInteger(v) || (!signed && v < 0))
      throw new BadTensor(
        `input "${name}": value ${i} (${v}) is not ${signed ? 'an integer' : 'a non-negative integer'}`,
      );
    if (!Number.isSafeInteger(v))
      throw new BadTensor(
        `input "${name}": value ${i} (${v}) is beyond 2^53 - 1: a JSON number that large has already lost its last digits when parsed, so its exact value is unknown`,
      );
  }
  return values;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * JSON has no Infinity or NaN (JSON.stringify would write null, which reads as a missing value):
 * they travel as "inf", "-inf" and "NaN", the text predict-batch and /invocations write.
 */
function finiteOrText(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'inf' : '-inf';
}

/**
 * A tensor's values as JSON numbers, booleans or strings (flat, row-major). 64-bit integers
 * beyond 2^53 stay bigints (Number() would round them): `exactJson` writes their digits.
 */
export function tensorData(t: Tensor): Array<number | boolean | string | bigint> {
  const d = t.data;
  if (Array.isArray(d)) return d;
  if (t.type === 'bool') return Array.from(d as Uint8Array, (v) => v !== 0);
  if (t.type === 'float16') return Array.from(d as Uint16Array, (bits) => finiteOrText(fromHalf(bits)));
  if (t.type === 'float32' || t.type === 'float64') return Array.from(d as ArrayLike<number>, finiteOrText);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    const exact = d.some((v) => v > SAFE || v < -SAFE);
    return exact ? Array.from(d as ArrayLike<bigint>) : Array.from(d as ArrayLike<bigint>, (v) => Number(v));
  }
  return Array.from(d as ArrayLike<number>);
}

/** Whether `tensorData` gave bigints: the answer then needs `exactJson`. */
export function holdsBigInts(data: unknown[]): boolean {
  return data.length > 0 && typeof data[0] === 'bigint';
}

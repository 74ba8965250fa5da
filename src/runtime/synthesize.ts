/** Deterministic inputs built from declared types and shapes, for smoke runs. */
import type { ValueSignature } from '../onnx/graph.js';
import type { ElementType } from '../onnx/data-types.js';
import { MlopsError } from '../util/errors.js';
import { random } from '../util/random.js';
import { arrayConstructorFor, elementCount, type Tensor } from '../onnx/tensor.js';

export interface SynthesizeOptions {
  /** Size for every symbolic or unknown dim that `dims` does not name. */
  symbolicSize: number;
  /** Sizes for named symbolic dims (`--dim batch=8`). */
  dims?: Record<string, number>;
  seed?: number;
}

export function concreteShape(input: ValueSignature, options: SynthesizeOptions): number[] {
  if (input.shape === null) {
    throw new MlopsError(
      'INPUT_UNKNOWN_RANK',
      `input "${input.name}" declares no shape, so inputs cannot be synthesized`,
      {
        hint: 'feed real inputs instead (test data, a CSV), or re-export the model with input shapes',
      },
    );
  }
  return input.shape.map((d) =>
    typeof d === 'number' && d > 0
      ? d
      : typeof d === 'string' && options.dims?.[d]
        ? options.dims[d]
        : options.symbolicSize,
  );
}

// Bit patterns of 0, 0.25, 0.5, 0.75: enough variety without a float converter.
const HALF_BITS = { float16: [0x0000, 0x3400, 0x3800, 0x3a00], bfloat16: [0x0000, 0x3e80, 0x3f00, 0x3f40] };

/**
 * Floats uniform in [0, 1) (non-negative, so Log/Sqrt of inputs stay finite),
 * integers 0 or 1 (safe as indices), booleans at random, strings "a".
 */
export function synthesizeInputs(inputs: ValueSignature[], options: SynthesizeOptions): Record<string, Tensor> {
  const next = random(options.seed ?? 42);
  const feeds: Record<string, Tensor> = {};
  for (const input of inputs) {
    if (input.kind !== 'tensor') {
      throw new MlopsError(
        'INPUT_NOT_TENSOR',
        `input "${input.name}" is a ${input.type}; only tensor inputs can be synthesized`,
        {
          hint: 'feed real inputs instead (test data, a CSV)',
        },
      );
    }
    const dims = concreteShape(input, options);
    const n = elementCount(dims);
    const type = input.type as ElementType;
    if (type === 'string') {
      feeds[input.name] = { name: input.name, type, dims, data: Array.from({ length: n }, () => 'a') };
      continue;
    }
    if (type === 'float16' || type === 'bfloat16') {
      const data = new Uint16Array(n);
      for (let i = 0; i < n; i++) data[i] = HALF_BITS[type][Math.floor(next() * 4)];
      feeds[input.name] = { name: input.name, type, dims, data };
      continue;
    }
    let ctor: ReturnType<typeof arrayConstructorFor>;
    try {
      ctor = arrayConstructorFor(type);
    } catch {
      throw new MlopsError(
        'INPUT_UNSUPPORTED_TYPE',
        `input "${input.name}" has element type ${input.type}, which mlops cannot synthesize`,
      );
    }
    const data = new ctor(n);
    const isFloat = type === 'float32' || type === 'float64';
    for (let i = 0; i < n; i++) {
      const v = isFloat ? next() : next() < 0.5 ? 0 : 1;
      (data as Float64Array)[i] =
        data instanceof BigInt64Array || data instanceof BigUint64Array ? (BigInt(v) as never) : v;
    }
    feeds[input.name] = { name: input.name, type, dims, data };
  }
  return feeds;
}

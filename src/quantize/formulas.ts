/**
 * onnxruntime's quantization arithmetic (onnxruntime/quantization/quant_utils.py),
 * reproduced so our int8 weights equal theirs element for element:
 * - zero is always representable: rmin = min(rmin, 0), rmax = max(rmax, 0);
 * - symmetric: [-a, a] with a = max(|rmin|, |rmax|), zero point (qmin + qmax) / 2 rounded;
 * - scale = (rmax - rmin) / (qmax - qmin) in float64, stored as float32
 *   (1 with zero point 0 when below float32's smallest normal);
 * - q = clip(round_half_even(float32(x / scale)) + zero_point, qmin, qmax).
 */

import { roundHalfEven } from '../util/round.js';

export { roundHalfEven };

export type QuantType = 'int8' | 'uint8';

export interface QuantRange {
  qmin: number;
  qmax: number;
}

/** get_qmin_qmax_for_qType: int8 [-128, 127] ([-127, 127] symmetric), uint8 [0, 255]; reduce_range is 7-bit. */
export function quantRange(type: QuantType, { symmetric = false, reduceRange = false } = {}): QuantRange {
  if (type === 'uint8') return reduceRange ? { qmin: 0, qmax: 127 } : { qmin: 0, qmax: 255 };
  if (reduceRange) return { qmin: -64, qmax: 64 };
  return symmetric ? { qmin: -127, qmax: 127 } : { qmin: -128, qmax: 127 };
}

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

const FLOAT32_TINY = 1.1754943508222875e-38;

/** compute_scale_zp. rmin and rmax are float32 values (data minimum and maximum). */
export function computeScaleZeroPoint(rmin: number, rmax: number, range: QuantRange, symmetric: boolean): QuantParams {
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  if (symmetric) {
    const a = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -a;
    hi = a;
  }
  const scale = (hi - lo) / (range.qmax - range.qmin);
  if (scale < FLOAT32_TINY) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = symmetric ? roundHalfEven((range.qmin + range.qmax) / 2) : roundHalfEven(range.qmin - lo / scale);
  return { scale: Math.fround(scale), zeroPoint };
}

/** quantize_nparray: the float32 quotient, rounded half to even, shifted and clipped. */
export function quantizeValue(x: number, params: QuantParams, range: QuantRange): number {
  const q = roundHalfEven(Math.fround(Math.fround(x) / params.scale)) + params.zeroPoint;
  return q < range.qmin ? range.qmin : Math.min(q, range.qmax);
}

export function minMax(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return values.length ? [lo, hi] : [0, 0];
}

export interface QuantizedWeight {
  /** int8 (or uint8) values in the weight's own layout. */
  values: Int8Array | Uint8Array;
  /** One entry per tensor, or per channel. */
  scales: Float32Array;
  zeroPoints: Int8Array | Uint8Array;
}

/**
 * Quantize a 2-D-or-more weight. With `axis`, one scale per index along that
 * axis (per-channel: Conv axis 0; MatMul [K, N] axis 1), else one for all.
 */
export function quantizeWeight(
  data: Float32Array,
  dims: number[],
  type: QuantType,
  options: { symmetric: boolean; reduceRange: boolean; axis?: number },
): QuantizedWeight {
  const range = quantRange(type, options);
  const values = type === 'int8' ? new Int8Array(data.length) : new Uint8Array(data.length);
  if (options.axis === undefined) {
    const [lo, hi] = minMax(data);
    const params = computeScaleZeroPoint(lo, hi, range, options.symmetric);
    for (let i = 0; i < data.length; i++) values[i] = quantizeValue(data[i], params, range);
    return {
      values,
      scales: Float32Array.of(params.scale),
      zeroPoints: type === 'int8' ? Int8Array.of(params.zeroPoint) : Uint8Array.of(params.zeroPoint),
    };
  }
  const axis = options.axis;
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const scales = new Float32Array(channels);
  const zeroPoints = type === 'int8' ? new Int8Array(channels) : new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const v = data[(o * channels + c) * inner + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    const params = computeScaleZeroPoint(lo, hi, range, options.symmetric);
    scales[c] = params.scale;
    zeroPoints[c] = params.zeroPoint;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (o * channels + c) * inner + i;
        values[at] = quantizeValue(data[at], params, range);
      }
    }
  }
  return { values, scales, zeroPoints };
}

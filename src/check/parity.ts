/** Element-wise comparison of outputs against expected values. */
import { FLOAT_TYPES } from '../onnx/data-types.js';
import { elementCount, type Tensor } from '../onnx/tensor.js';
import { formatFloat32 } from '../util/format-number.js';

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** The rule, stated in every report so nobody has to guess. */
export const COMPARISON_RULE = 'an element matches when |actual - expected| <= atol + rtol * |expected| (numpy.isclose with expected as reference); NaN matches NaN; non-float outputs must be equal';

export interface OutputComparison {
  output: string;
  type: string;
  expected_shape: number[];
  actual_shape: number[];
  total: number;
  mismatches: number;
  max_abs_error: number;
  max_rel_error: number;
  /** The element that violates the tolerance most (or the largest error when all match). */
  worst: { index: number[]; actual: number | string; expected: number | string } | null;
  passed: boolean;
  note?: string;
}

function unravel(flat: number, dims: number[]): number[] {
  const index = new Array<number>(dims.length);
  for (let k = dims.length - 1; k >= 0; k--) {
    index[k] = dims[k] ? flat % dims[k] : 0;
    flat = dims[k] ? Math.floor(flat / dims[k]) : 0;
  }
  return index;
}

/** Values as the user would write them: float32 at its own shortest precision. */
function scalar(value: unknown, type: string): number | string {
  if (typeof value === 'bigint') return Number(value);
  if (type === 'float32' && typeof value === 'number' && Number.isFinite(value)) return Number(formatFloat32(value));
  return value as number | string;
}

export function compareTensors(output: string, actual: Tensor, expected: Tensor, tolerance: Tolerance): OutputComparison {
  const base = {
    output,
    type: actual.type,
    expected_shape: expected.dims,
    actual_shape: actual.dims,
    total: elementCount(expected.dims),
  };
  const sameShape = actual.dims.length === expected.dims.length && actual.dims.every((d, i) => d === expected.dims[i]);
  // A [N] vs [N, 1] difference is only a layout detail; compare values when the counts agree.
  if (!sameShape && elementCount(actual.dims) !== elementCount(expected.dims)) {
    return { ...base, mismatches: base.total, max_abs_error: NaN, max_rel_error: NaN, worst: null, passed: false, note: `shape [${actual.dims.join(', ')}] differs from expected [${expected.dims.join(', ')}]` };
  }
  const note = sameShape ? undefined : `shape [${actual.dims.join(', ')}] vs expected [${expected.dims.join(', ')}]; compared element by element`;
  const a = actual.data as ArrayLike<unknown>;
  const e = expected.data as ArrayLike<unknown>;
  const n = a.length;
  const numeric = typeof a[0] !== 'string' && typeof e[0] !== 'string';
  const tolerant = FLOAT_TYPES.has(actual.type) || FLOAT_TYPES.has(expected.type);
  let mismatches = 0;
  let maxAbs = 0;
  let maxRel = 0;
  let worstIndex = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!numeric || !tolerant) {
      const equal = numeric ? Number(a[i]) === Number(e[i]) : String(a[i]) === String(e[i]);
      if (!equal) {
        mismatches++;
        if (worstIndex < 0) worstIndex = i;
        if (numeric) maxAbs = Math.max(maxAbs, Math.abs(Number(a[i]) - Number(e[i])));
      }
      continue;
    }
    const x = Number(a[i]);
    const y = Number(e[i]);
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue; // also equal infinities
    const diff = Math.abs(x - y);
    const rel = y === 0 ? Infinity : diff / Math.abs(y);
    if (!(diff <= maxAbs)) maxAbs = diff; // NaN diff propagates
    if (!(rel <= maxRel)) maxRel = rel;
    const excess = Number.isNaN(diff) ? Infinity : diff - (tolerance.atol + tolerance.rtol * Math.abs(y));
    if (excess > 0 || Number.isNaN(diff)) mismatches++;
    if (excess > worstExcess) {
      worstExcess = excess;
      worstIndex = i;
    }
  }
  const worst = worstIndex < 0 ? null : { index: unravel(worstIndex, expected.dims), actual: scalar(a[worstIndex], actual.type), expected: scalar(e[worstIndex], actual.type === 'float32' && expected.type === 'float32' ? 'float32' : expected.type) };
  return { ...base, mismatches, max_abs_error: maxAbs, max_rel_error: maxRel, worst, passed: mismatches === 0, ...(note ? { note } : {}) };
}

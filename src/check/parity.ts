/** Element-wise comparison of outputs against expected values. */
import { FLOAT_TYPES } from '../onnx/data-types.js';
import { elementCount, type Tensor } from '../onnx/tensor.js';
import { formatFloat32 } from '../util/format-number.js';

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** The rule, stated in every report so nobody has to guess. */
export const COMPARISON_RULE =
  'an element matches when |actual - expected| <= atol + rtol * |expected| (numpy.isclose with expected as reference); NaN matches NaN; non-float outputs must be equal';

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

export function compareTensors(
  output: string,
  actual: Tensor,
  expected: Tensor,
  tolerance: Tolerance,
): OutputComparison {
  return compareWithExcess(output, actual, expected, tolerance).comparison;
}

/** A comparison and by how much its worst element exceeds the tolerance (-Infinity when there is none), to merge batches by. */
export interface PartComparison {
  comparison: OutputComparison;
  worstExcess: number;
}

export function compareWithExcess(
  output: string,
  actual: Tensor,
  expected: Tensor,
  tolerance: Tolerance,
): PartComparison {
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
    return {
      comparison: {
        ...base,
        mismatches: base.total,
        max_abs_error: NaN,
        max_rel_error: NaN,
        worst: null,
        passed: false,
        note: shapeNote(actual.dims, expected.dims, false),
      },
      worstExcess: -Infinity,
    };
  }
  const note = sameShape ? undefined : shapeNote(actual.dims, expected.dims, true);
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
  const worst =
    worstIndex < 0
      ? null
      : {
          index: unravel(worstIndex, expected.dims),
          actual: scalar(a[worstIndex], actual.type),
          expected: scalar(
            e[worstIndex],
            actual.type === 'float32' && expected.type === 'float32' ? 'float32' : expected.type,
          ),
        };
  // Unequal non-float elements: the first one is the worst.
  const excess = !numeric || !tolerant ? (worstIndex < 0 ? -Infinity : Infinity) : worstExcess;
  return {
    comparison: {
      ...base,
      mismatches,
      max_abs_error: maxAbs,
      max_rel_error: maxRel,
      worst,
      passed: mismatches === 0,
      ...(note ? { note } : {}),
    },
    worstExcess: excess,
  };
}

function shapeNote(actual: number[], expected: number[], comparable: boolean): string {
  return comparable
    ? `shape [${actual.join(', ')}] vs expected [${expected.join(', ')}]; compared element by element`
    : `shape [${actual.join(', ')}] differs from expected [${expected.join(', ')}]`;
}

/**
 * As one pass over both batches would leave it (`if (!(diff <= max)) max = diff`, over unequal
 * elements only): 0 means the later batch had none, so the earlier figure stands (NaN included).
 */
const laterMax = (a: number, b: number) => (b === 0 || b <= a ? a : b);

/**
 * One comparison of two batches of rows compared in turn: `next` holds rows
 * that follow the `rowsBefore` rows of `so_far`. The worst element is the one
 * that exceeds the tolerance most (the earlier one on a tie, as in one pass).
 */
export function mergeComparisons(soFar: PartComparison, next: PartComparison, rowsBefore: number): PartComparison {
  const a = soFar.comparison;
  const b = next.comparison;
  const rows = (dims: number[], more: number[]) => (dims.length ? [dims[0] + (more[0] ?? 0), ...dims.slice(1)] : dims);
  const expected_shape = rows(a.expected_shape, b.expected_shape);
  const actual_shape = rows(a.actual_shape, b.actual_shape);
  const laterWorse = next.worstExcess > soFar.worstExcess;
  const worst =
    laterWorse && b.worst
      ? { ...b.worst, index: b.worst.index.map((k, i) => (i === 0 ? k + rowsBefore : k)) }
      : a.worst;
  const mismatches = a.mismatches + b.mismatches;
  const note = a.note ?? b.note;
  const comparable = !note?.includes('differs');
  return {
    comparison: {
      ...a,
      expected_shape,
      actual_shape,
      total: a.total + b.total,
      mismatches,
      max_abs_error: laterMax(a.max_abs_error, b.max_abs_error),
      max_rel_error: laterMax(a.max_rel_error, b.max_rel_error),
      worst,
      passed: mismatches === 0 && comparable,
      ...(note ? { note: shapeNote(actual_shape, expected_shape, comparable) } : {}),
    },
    worstExcess: laterWorse ? next.worstExcess : soFar.worstExcess,
  };
}

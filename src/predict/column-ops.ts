/**
 * What predict-batch's encoder does with each typed column of a Parquet
 * chunk, decided once per chunk rather than per cell: copy the value into the
 * input tensor as it is, or go through the cell's text, where the CSV rules
 * (missing values, ranges, booleans, strings) apply word for word.
 */
import type { TableColumn } from '../table/parquet/column-values.js';
import { cellText } from '../table/parquet/parquet-rows.js';
import type { PredictPlan } from './plan.js';

export const ColumnOp = {
  /** Neither an input nor kept. */
  Unused: 0,
  /** Kept only: its text goes to the output. */
  Keep: 1,
  /** Through the cell's text (strings, kept inputs, types the input does not take as they are). */
  Text: 2,
  /** A float or int32 value into a float64 input (NaN: the text path). */
  Number: 3,
  /** A float or int32 value into a float32 input (NaN or beyond float32: the text path). */
  NumberToFloat32: 4,
  /** An int32 value into an int64 input. */
  IntToBigInt: 5,
  /** The value as it is: int32 -> int32, int64 -> int64, boolean -> bool. */
  Same: 6,
} as const;

export type ColumnOp = (typeof ColumnOp)[keyof typeof ColumnOp];

/** An input's batch buffer (a typed array, or strings). */
type Buffer = unknown;

export function columnOps(plan: PredictPlan, columns: TableColumn[], buffers: Buffer[]): Uint8Array {
  const ops = new Uint8Array(columns.length);
  plan.roles.forEach((role, c) => {
    if (role.input < 0) {
      ops[c] = role.keep >= 0 ? ColumnOp.Keep : ColumnOp.Unused;
      return;
    }
    // A kept input needs its text anyway, and the text path stores both.
    ops[c] = role.keep >= 0 ? ColumnOp.Text : opFor(role.kind, columns[c], buffers[role.input]);
  });
  return ops;
}

function opFor(kind: string, column: TableColumn, buffer: Buffer): ColumnOp {
  const values = column.values;
  const small = values instanceof Float64Array || values instanceof Float32Array || values instanceof Int32Array;
  switch (kind) {
    case 'float':
      if (!small) return ColumnOp.Text; // 64-bit integers: their decimal text decides the rounding, as in a CSV
      return buffer instanceof Float32Array ? ColumnOp.NumberToFloat32 : ColumnOp.Number;
    case 'int':
      if (values instanceof Int32Array) return buffer instanceof BigInt64Array ? ColumnOp.IntToBigInt : ColumnOp.Same;
      // int64 into int64; into int32 the text path checks the range.
      return values instanceof BigInt64Array && buffer instanceof BigInt64Array ? ColumnOp.Same : ColumnOp.Text;
    case 'bool':
      return column.kind === 'bool' ? ColumnOp.Same : ColumnOp.Text;
    default:
      return ColumnOp.Text;
  }
}

/** The largest finite float32. */
export const F32_MAX = 3.4028234663852886e38;

/** The encoder's batch, as the functions here fill it. */
export interface ColumnTarget {
  roles: PredictPlan['roles'];
  buffers: Buffer[];
  strides: number[];
  /** Kept cells, `keepCount` a row. */
  kept: string[];
  keepCount: number;
  /** The batch row written next (a block's first). */
  row: number;
  /** Null and NaN feed float inputs as NaN (else they stop the block, to be rejected row by row). */
  allowMissing: boolean;
  /** A cell through the text path (CSV rules: missing values, ranges, words), kept and fed. */
  store(c: number, text: string): void;
}

/**
 * Rows [from, from + n) of the chunk's typed columns into the input buffers,
 * column by column, when every value in them is plain: true when done. A
 * null, a NaN, a value beyond float32 or a column that needs its text makes
 * it stop (false, buffers partly written): the caller encodes the block row
 * by row instead, which writes every slot again and words the bad row.
 */
export function copyBlock(ops: Uint8Array, columns: TableColumn[], from: number, n: number, to: ColumnTarget): boolean {
  for (let c = 0; c < ops.length; c++) {
    const op = ops[c];
    if (op === ColumnOp.Unused || op === ColumnOp.Keep) continue;
    if (op === ColumnOp.Text) return false;
    const column = columns[c];
    const float = op === ColumnOp.Number || op === ColumnOp.NumberToFloat32;
    const nulls = column.nulls?.subarray(from, from + n).includes(1) ? column.nulls : null;
    if (nulls && !(float && to.allowMissing)) return false;
    const role = to.roles[c];
    const stride = to.strides[role.input];
    const buffer = to.buffers[role.input] as Float64Array;
    const values = column.values as Float64Array;
    let at = to.row * stride + role.offset;
    const end = from + n;
    switch (op) {
      case ColumnOp.Number:
        for (let r = from; r < end; r++, at += stride) {
          const v = values[r];
          if (v !== v || nulls?.[r]) {
            if (!to.allowMissing) return false;
            buffer[at] = Number.NaN;
          } else buffer[at] = v;
        }
        break;
      case ColumnOp.NumberToFloat32:
        for (let r = from; r < end; r++, at += stride) {
          const v = values[r];
          if (nulls?.[r] || v !== v) {
            if (!to.allowMissing) return false;
            buffer[at] = Number.NaN;
          } else if (v <= F32_MAX && v >= -F32_MAX) buffer[at] = v;
          else return false; // beyond float32 (or an infinity): the text path decides
        }
        break;
      case ColumnOp.IntToBigInt:
        for (let r = from; r < end; r++, at += stride) (buffer as unknown as BigInt64Array)[at] = BigInt(values[r]);
        break;
      default:
        for (let r = from; r < end; r++, at += stride) buffer[at] = values[r];
    }
  }
  for (let c = 0; c < ops.length; c++) {
    if (ops[c] !== ColumnOp.Keep) continue;
    const column = columns[c];
    let at = to.row * to.keepCount + to.roles[c].keep;
    for (let r = from; r < from + n; r++, at += to.keepCount) to.kept[at] = cellText(column, r);
  }
  return true;
}

/**
 * Row r of the typed columns into batch row `to.row`: plain values go
 * straight into the tensors; a null, NaN, a value out of range or a type the
 * input does not take goes through the text path, so the CSV rules (and
 * words) decide, and a bad row throws as in a CSV.
 */
export function encodeColumnRow(ops: Uint8Array, columns: TableColumn[], r: number, to: ColumnTarget): void {
  for (let c = 0; c < ops.length; c++) {
    const op = ops[c];
    if (op === ColumnOp.Unused) continue;
    const column = columns[c];
    const role = to.roles[c];
    if (op === ColumnOp.Keep) {
      to.kept[to.row * to.keepCount + role.keep] = cellText(column, r);
      continue;
    }
    if (op !== ColumnOp.Text && !column.nulls?.[r]) {
      const at = to.row * to.strides[role.input] + role.offset;
      const buffer = to.buffers[role.input] as Float64Array;
      const v = column.values[r] as number;
      switch (op) {
        case ColumnOp.Number:
          // NaN is a missing value: the text path applies allowMissing and its messages.
          if (v === v) {
            buffer[at] = v;
            continue;
          }
          break;
        case ColumnOp.NumberToFloat32:
          // Beyond float32's largest finite value, the text path says whether it fits.
          if (v <= F32_MAX && v >= -F32_MAX) {
            buffer[at] = v;
            continue;
          }
          break;
        case ColumnOp.IntToBigInt:
          (buffer as unknown as BigInt64Array)[at] = BigInt(v);
          continue;
        default: // Same: the value as it is (int32 -> int32, int64 -> int64, bool -> bool)
          buffer[at] = v;
          continue;
      }
    }
    to.store(c, cellText(column, r));
  }
}

/**
 * Rows -> input tensors. Plain rows are scanned in place: numeric fields are
 * parsed straight from the row string (fast-number.ts) into the typed array,
 * and only kept columns become strings.
 */
import { parseDecimal } from '../csv/fast-number.js';
import { parseBoolCell, parseFloatCell, parseIntCell } from '../csv/cell-values.js';
import type { RowBatch } from '../csv/row-reader.js';
import { arrayConstructorFor, type Tensor } from '../onnx/tensor.js';
import { MlopsError } from '../util/errors.js';
import type { PredictPlan } from './plan.js';

export interface Reject {
  line: number;
  reason: string;
  /** The row as CSV text. */
  row: string;
}

export interface EncodedBatch {
  rows: number;
  feeds: Record<string, Tensor>;
  /** rows x keep.length strings. */
  kept: string[];
  rejects: Reject[];
}

export interface EncodeOptions {
  file: string;
  header: string[];
  plan: PredictPlan;
  onError: 'fail' | 'skip';
  allowMissing: boolean;
}

const MISSING = /^(?:nan|na|n\/a|null|none)$/i;

class RowError extends Error {}

type Buffers = Array<Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[]>;

export function encodeBatch(batch: RowBatch, options: EncodeOptions): EncodedBatch {
  const { plan, header } = options;
  const width = header.length;
  const keepCount = plan.keep.length;
  const buffers: Buffers = plan.bindings.map((b) => {
    const n = batch.count * b.columns.length;
    return b.kind === 'string' ? new Array<string>(n) : new (arrayConstructorFor(b.type as never))(n) as Float32Array;
  });
  const strides = plan.bindings.map((b) => b.columns.length);
  const roles = plan.roles;
  const kept: string[] = [];
  const rejects: Reject[] = [];
  let out = 0;

  const store = (c: number, text: string, from: number, to: number): void => {
    const role = roles[c];
    if (role.keep >= 0) kept[out * keepCount + role.keep] = text.slice(from, to);
    if (role.input < 0) return;
    const at = out * strides[role.input] + role.offset;
    const buffer = buffers[role.input];
    switch (role.kind) {
      case 'float': {
        let v = parseDecimal(text, from, to);
        if (v === undefined) v = slowFloat(c, text.slice(from, to));
        (buffer as Float32Array)[at] = v;
        break;
      }
      case 'int': {
        const field = text.slice(from, to);
        const v = parseIntCell(field);
        if (v === undefined) throw new RowError(cellMessage(c, field, 'an integer'));
        if (buffer instanceof BigInt64Array) buffer[at] = v;
        else (buffer as Int32Array)[at] = Number(v);
        break;
      }
      case 'bool': {
        const field = text.slice(from, to);
        const v = parseBoolCell(field);
        if (v === undefined) throw new RowError(cellMessage(c, field, 'a boolean (true/false/1/0)'));
        (buffer as Uint8Array)[at] = v ? 1 : 0;
        break;
      }
      default:
        (buffer as string[])[at] = text.slice(from, to);
    }
  };

  const cellMessage = (c: number, field: string, what: string) =>
    `column "${header[c]}": ${field.trim() === '' ? 'empty value' : `"${field}"`} is not ${what}`;

  const slowFloat = (c: number, field: string): number => {
    const trimmed = field.trim();
    if (trimmed === '' || MISSING.test(trimmed)) {
      if (options.allowMissing) return NaN;
      throw new RowError(`column "${header[c]}": ${trimmed === '' ? 'empty value' : `"${field}"`} is missing (pass --allow-missing to feed NaN)`);
    }
    const v = parseFloatCell(trimmed);
    if (v === undefined) throw new RowError(cellMessage(c, field, 'a number'));
    return v;
  };

  for (let r = 0; r < batch.count; r++) {
    const row = batch.rows[r];
    try {
      if (typeof row === 'string') {
        let c = 0;
        let from = 0;
        for (;;) {
          const comma = row.indexOf(',', from);
          const to = comma < 0 ? row.length : comma;
          if (c < width) store(c, row, from, to);
          c++;
          if (comma < 0) break;
          from = comma + 1;
        }
        if (c !== width) throw new RowError(`has ${c} fields, the header has ${width}`);
      } else {
        if (row.length !== width) throw new RowError(`has ${row.length} fields, the header has ${width}`);
        for (let c = 0; c < width; c++) store(c, row[c], 0, row[c].length);
      }
      out++;
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      // A ragged row is reported as such, even if a value failed to parse first.
      const fields = typeof row === 'string' ? row.split(',').length : row.length;
      const reason = fields !== width ? `has ${fields} fields, the header has ${width}` : err.message;
      if (options.onError === 'fail') {
        throw new MlopsError('CSV_BAD_ROW', `${options.file}:${batch.lines[r]}: ${reason}`, {
          hint: 'fix the row, or pass --on-error skip --rejects rejects.csv to set bad rows aside',
        });
      }
      rejects.push({ line: batch.lines[r], reason, row: typeof row === 'string' ? row : row.map(csvField).join(',') });
      kept.length = out * keepCount;
    }
  }

  const feeds: Record<string, Tensor> = {};
  plan.bindings.forEach((b, i) => {
    const n = out * strides[i];
    const buffer = buffers[i];
    const data = Array.isArray(buffer) ? buffer.slice(0, n) : buffer.subarray(0, n);
    feeds[b.name] = { name: b.name, type: b.type, dims: b.dims(out), data: data as Tensor['data'] };
  });
  return { rows: out, feeds, kept, rejects };
}

/** A field as CSV: quoted when it holds a comma, quote or line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Rows -> input tensors. Plain rows are scanned byte by byte in place:
 * numeric fields are parsed straight into the typed array (fast-number.ts)
 * and only kept or string columns become strings.
 */
import { parseDecimal, scanDecimal, scanState } from '../table/fast-number.js';
import {
  BOOL_SPELLINGS,
  missingCellMessage,
  isMissingCell,
  parseBoolCell,
  parseFloatCell,
  parseIntCell,
  floatFits,
  floatRangeProblem,
  intRangeProblem,
  quoteCell,
} from '../table/cell-values.js';
import type { RowChunk } from '../table/row-reader.js';
import type { TableColumn } from '../table/parquet/column-values.js';
import { arrayConstructorFor, type Tensor } from '../onnx/tensor.js';
import { MlopsError } from '../util/errors.js';
import type { PredictPlan } from './plan.js';
import { type ColumnTarget, columnOps, copyBlock, encodeColumnRow } from './column-ops.js';
import { rowAt, type RowWord } from './row-place.js';
import { FloatRowParser } from '../table/wasm/csv-floats.js';
import { KeptCells } from './kept-cells.js';

export interface Reject {
  /** The line the row starts on (CSV), or its 1-based row number (Parquet). */
  line: number;
  reason: string;
  /** The row as CSV text. */
  row: string;
}

export interface EncodedBatch {
  rows: number;
  /** Rows in the tensors: `rows`, or the model's fixed batch size when padded. */
  fed: number;
  feeds: Record<string, Tensor>;
  /** rows x keep.length cells. */
  kept: KeptCells;
  /** Lines of the batch's first and last rows, to say where a failed inference came from. */
  firstLine: number;
  lastLine: number;
}

export interface EncodeOptions {
  file: string;
  header: string[];
  plan: PredictPlan;
  onError: 'fail' | 'skip';
  allowMissing: boolean;
  /** How rows are named in messages: by line (CSV, the default) or row number (Parquet). */
  rowWord?: RowWord;
  /** Parse plain float rows with the WebAssembly parser (default true; false: the JavaScript scan, for comparison). */
  wasm?: boolean;
}

const COMMA = 0x2c;

class RowError extends Error {
  /** A missing value that `allowMissing` would have fed as NaN: the hint says so. */
  missingValue = false;
}

/** Where a failed run points: set bad rows aside rather than stop at the first. */
const SKIP_HINT = 'set bad rows aside with `onError` skip and `rejects` rejects.csv';

type Buffer = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[];

/** Fills one inference batch from row chunks; `finish` hands it over and starts the next. */
export class BatchEncoder {
  private buffers!: Buffer[];
  private readonly strides: number[];
  private readonly width: number;
  private readonly keepCount: number;
  private kept: KeptCells;
  private rejects: Reject[] = [];
  private firstLine = 0;
  private lastLine = 0;
  /** What each column of the current Parquet chunk's columns does (computed once per chunk). */
  private ops: Uint8Array | undefined;
  private opsFor: TableColumn[] | undefined;
  /** The WebAssembly parser for plain CSV rows, when every input is float32 (else undefined). */
  private readonly floatRows: FloatRowParser | undefined;
  /** Rows the WebAssembly parser took (the rest went the JavaScript way). */
  wasmRows = 0;
  rows = 0;

  /**
   * `padTo`: feed tensors whose row count is a multiple of this (a model with a
   * fixed batch size, run in slices of it); a short last batch is padded with
   * zeros and only its real rows count.
   */
  constructor(
    private readonly options: EncodeOptions,
    readonly capacity: number,
    private readonly padTo?: number,
  ) {
    this.strides = options.plan.bindings.map((b) => b.columns.length);
    this.width = options.header.length;
    this.keepCount = options.plan.keep.length;
    this.kept = new KeptCells(capacity * this.keepCount);
    this.allocate();
    const { roles } = options.plan;
    const floats = roles.every(
      (r) => r.input < 0 || (r.kind === 'float' && this.buffers[r.input] instanceof Float32Array),
    );
    if (floats && options.wasm !== false && this.width > 0)
      this.floatRows = newFloatRowParser(
        roles.map((r) => ({ input: r.input, offset: r.offset, keep: r.keep })),
        this.strides,
        capacity,
      );
  }

  private allocate(): void {
    this.buffers = this.options.plan.bindings.map((b, i) => {
      const n = this.capacity * this.strides[i];
      return b.kind === 'string'
        ? new Array<string>(n)
        : (new (arrayConstructorFor(b.type as never))(n) as Float32Array);
    });
  }

  get full(): boolean {
    return this.rows === this.capacity;
  }

  /** Encode rows [from, chunk.count) until the batch is full; returns the first row not taken. */
  add(chunk: RowChunk, from: number): number {
    const r = from;
    const columns = chunk.columns;
    if (columns && this.opsFor !== columns) {
      this.ops = columnOps(this.options.plan, columns, this.buffers);
      this.opsFor = columns;
    }
    const target = columns ? this.target() : undefined;
    if (columns) {
      const taken = this.addBlock(chunk, columns, r, target!);
      if (taken > 0) return r + taken;
    }
    if (this.floatRows && !columns && !chunk.records && !chunk.malformed) return this.addPlain(chunk, r);
    return this.addRows(chunk, r, chunk.count, target);
  }

  /** Plain rows through the WebAssembly parser; a row it stops at goes the JavaScript way (slow paths, messages). */
  private addPlain(chunk: RowChunk, from: number): number {
    const parser = this.floatRows!;
    const { strides, keepCount } = this;
    let r = from;
    while (r < chunk.count && this.rows < this.capacity) {
      const n = Math.min(chunk.count - r, this.capacity - this.rows, parser.capacity);
      const done = parser.parse(chunk.buf, chunk.starts, chunk.ends, r, n);
      if (done > 0) {
        this.buffers.forEach((b, k) => {
          if (b instanceof Float32Array) b.set(parser.floatsOf(k, done), this.rows * strides[k]);
        });
        for (let i = 0; i < done; i++)
          for (let slot = 0; slot < keepCount; slot++)
            this.kept.setBytes(
              (this.rows + i) * keepCount + slot,
              chunk.buf,
              parser.keptStart(i, slot),
              parser.keptEnd(i, slot),
            );
        if (this.rows === 0) this.firstLine = chunk.lines[r];
        this.lastLine = chunk.lines[r + done - 1];
        this.rows += done;
        this.wasmRows += done;
        r += done;
      }
      if (done < n) r = this.addRows(chunk, r, r + 1, undefined);
    }
    return r;
  }

  /** Rows [from, limit) one by one, until the batch is full; returns the first row not taken. */
  private addRows(chunk: RowChunk, from: number, limit: number, target: ColumnTarget | undefined): number {
    const columns = chunk.columns;
    let r = from;
    for (; r < limit && this.rows < this.capacity; r++) {
      // Parquet rows are read from their typed columns; their text is made only for a rejected row.
      const record = columns ? undefined : chunk.records?.get(r);
      const malformed = chunk.malformed?.get(r);
      if (malformed) {
        this.reject(
          chunk,
          r,
          undefined,
          `column "${this.options.header[malformed.field] ?? malformed.field + 1}": ${malformed.message}`,
          malformed.text,
        );
        continue;
      }
      try {
        if (columns) {
          target!.row = this.rows;
          encodeColumnRow(this.ops!, columns, r, target!);
        } else if (record) this.encodeRecord(record);
        else this.encodeBytes(chunk.buf, chunk.starts[r], chunk.ends[r]);
        if (this.rows === 0) this.firstLine = chunk.lines[r];
        this.lastLine = chunk.lines[r];
        this.rows++;
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        this.reject(chunk, r, record ?? chunk.records?.get(r), err.message, undefined, err.missingValue);
      }
    }
    return r;
  }

  /** Where the Parquet column functions write: this batch's buffers, from row `row`. */
  private target(): ColumnTarget {
    const { plan, allowMissing } = this.options;
    return {
      roles: plan.roles,
      buffers: this.buffers,
      strides: this.strides,
      kept: this.kept.texts,
      keepCount: this.keepCount,
      row: this.rows,
      allowMissing,
      store: (c, text) => this.store(c, text),
    };
  }

  /** Parquet: as many rows as fit, column by column, when they are all plain (else 0, and the caller goes row by row). */
  private addBlock(chunk: RowChunk, columns: TableColumn[], from: number, target: ColumnTarget): number {
    const n = Math.min(chunk.count - from, this.capacity - this.rows);
    if (n <= 0 || !copyBlock(this.ops!, columns, from, n, target)) return 0;
    if (this.rows === 0) this.firstLine = chunk.lines[from];
    this.lastLine = chunk.lines[from + n - 1];
    this.rows += n;
    return n;
  }

  /** Rows rejected since the last call (taken per chunk, so a file of bad rows never piles up). */
  takeRejects(): Reject[] {
    const taken = this.rejects;
    this.rejects = [];
    return taken;
  }

  finish(): EncodedBatch {
    const rows = this.rows;
    const fed = this.padTo !== undefined ? Math.ceil(rows / this.padTo) * this.padTo : rows;
    const feeds: Record<string, Tensor> = {};
    this.options.plan.bindings.forEach((b, i) => {
      const n = fed * this.strides[i];
      const buffer = this.buffers[i];
      // Padding rows hold zeros (fresh buffers) or leftovers of a rejected row; their outputs are dropped.
      const data = Array.isArray(buffer) ? buffer.slice(0, n).fill('', rows * this.strides[i]) : buffer.subarray(0, n);
      feeds[b.name] = { name: b.name, type: b.type, dims: b.dims(fed), data: data as Tensor['data'] };
    });
    const batch = { rows, fed, feeds, kept: this.kept, firstLine: this.firstLine, lastLine: this.lastLine };
    // The tensors stay with onnxruntime while we fill the next batch: new buffers.
    this.allocate();
    this.kept = new KeptCells(this.capacity * this.keepCount);
    this.rows = 0;
    return batch;
  }

  private reject(
    chunk: RowChunk,
    r: number,
    record: string[] | undefined,
    message: string,
    rawText?: string,
    missingValue = false,
  ): void {
    const text =
      rawText ?? (record ? record.map(csvField).join(',') : chunk.buf.toString('utf8', chunk.starts[r], chunk.ends[r]));
    // A ragged row is reported as such, even if a value failed to parse first (unless its quoting is what failed).
    const fields =
      rawText !== undefined
        ? this.width
        : record
          ? record.length
          : countFields(chunk.buf, chunk.starts[r], chunk.ends[r]);
    const reason = fields !== this.width ? `has ${fields} fields, the header has ${this.width}` : message;
    // The remedy for a missing value, unless the row's field count is what is reported.
    const missing = missingValue && reason === message;
    if (this.options.onError === 'fail') {
      const where = rowAt(this.options.file, this.options.rowWord ?? 'line', chunk.lines[r]);
      throw new MlopsError('CSV_BAD_ROW', `${where}: ${reason}`, {
        hint: missing
          ? `fill it in, pass \`allowMissing\` to feed missing values as NaN, or ${SKIP_HINT}`
          : `fix the row, or ${SKIP_HINT}`,
      });
    }
    // The rejects file is read by people who ran the CLI and by library callers alike: plain words, no option names.
    const remedy = missing ? ' (allow missing values to feed it as NaN)' : '';
    this.rejects.push({ line: chunk.lines[r], reason: reason + remedy, row: text });
    this.kept.truncate(this.rows * this.keepCount);
  }

  /**
   * Per column, the input a plain float field is scanned into (-1: any other
   * role), and its offset in the row: read once per row field instead of the
   * role's kind, input and keep.
   */
  private fastInput?: Int32Array;
  private fastOffset?: Int32Array;

  private encodeBytes(buf: Uint8Array, start: number, end: number): void {
    const roles = this.options.plan.roles;
    const width = this.width;
    if (!this.fastInput) {
      this.fastInput = Int32Array.from(roles, (r) => (r.kind === 'float' && r.input >= 0 && r.keep < 0 ? r.input : -1));
      this.fastOffset = Int32Array.from(roles, (r) => r.offset);
    }
    const fastInput = this.fastInput;
    const fastOffset = this.fastOffset!;
    const buffers = this.buffers;
    const strides = this.strides;
    const row = this.rows;
    let c = 0;
    let i = start;
    for (;;) {
      let fieldEnd = -1;
      if (c < width) {
        const input = fastInput[c];
        if (input >= 0) {
          const v = scanDecimal(buf, i, end);
          if (v === v) {
            fieldEnd = scanState.end;
            (buffers[input] as Float32Array)[row * strides[input] + fastOffset[c]] = v;
          }
        }
        if (fieldEnd < 0) {
          fieldEnd = findComma(buf, i, end);
          const role = roles[c];
          if (role.input >= 0 || role.keep >= 0)
            this.store(c, Buffer.prototype.toString.call(buf, 'utf8', i, fieldEnd));
        }
      } else {
        fieldEnd = findComma(buf, i, end);
      }
      c++;
      if (fieldEnd >= end) break;
      i = fieldEnd + 1;
    }
    if (c !== width) throw new RowError(`has ${c} fields, the header has ${width}`);
  }

  private encodeRecord(record: string[]): void {
    if (record.length !== this.width) throw new RowError(`has ${record.length} fields, the header has ${this.width}`);
    for (let c = 0; c < this.width; c++) this.store(c, record[c]);
  }

  /** A field as text: kept, and parsed for its input. */
  private store(c: number, text: string): void {
    const role = this.options.plan.roles[c];
    if (role.keep >= 0) this.kept.texts[this.rows * this.keepCount + role.keep] = text;
    if (role.input < 0) return;
    const at = this.rows * this.strides[role.input] + role.offset;
    const buffer = this.buffers[role.input];
    switch (role.kind) {
      case 'float': {
        let v = parseDecimal(text, 0, text.length);
        if (v === undefined) v = this.slowFloat(c, text);
        (buffer as Float32Array)[at] = v;
        break;
      }
      case 'int': {
        const v = parseIntCell(text);
        if (v === undefined) {
          // An integer input has no NaN: allowMissing cannot help, and the message says so.
          if (isMissingCell(text)) throw new RowError(missingCellMessage(this.options.header[c], text, 'int64'));
          throw new RowError(this.cellMessage(c, text, 'an integer'));
        }
        const int32 = !(buffer instanceof BigInt64Array);
        if (int32 ? v < -2147483648n || v > 2147483647n : v < -(2n ** 63n) || v >= 2n ** 63n) {
          throw new RowError(this.cellMessage(c, text, intRangeProblem(int32 ? 'int32' : 'int64')));
        }
        if (int32) (buffer as Int32Array)[at] = Number(v);
        else (buffer as BigInt64Array)[at] = v;
        break;
      }
      case 'bool': {
        const v = parseBoolCell(text);
        if (v === undefined)
          throw new RowError(
            isMissingCell(text)
              ? missingCellMessage(this.options.header[c], text, 'bool')
              : this.cellMessage(c, text, `a boolean (${BOOL_SPELLINGS})`),
          );
        (buffer as Uint8Array)[at] = v ? 1 : 0;
        break;
      }
      default:
        (buffer as string[])[at] = text;
    }
  }

  private cellMessage(c: number, field: string, what: string): string {
    return `column "${this.options.header[c]}": ${quoteCell(field)} is not ${what}`;
  }

  private slowFloat(c: number, field: string): number {
    const trimmed = field.trim();
    if (isMissingCell(trimmed)) {
      if (this.options.allowMissing) return NaN;
      // The remedy (allowMissing, or skipping the row) is added where the message is shown: hint or rejects file.
      const err = new RowError(missingCellMessage(this.options.header[c], field, 'float32', false));
      err.missingValue = true;
      throw err;
    }
    const v = parseFloatCell(trimmed);
    if (v === undefined) throw new RowError(this.cellMessage(c, field, 'a number'));
    // Only this slow path can overflow float32: the fast paths stop at 15 digits and 10^22.
    if (this.buffers[this.options.plan.roles[c].input] instanceof Float32Array && !floatFits('float32', v))
      throw new RowError(this.cellMessage(c, field, floatRangeProblem('float32')));
    return v;
  }
}

/** The WebAssembly parser, or undefined (the JavaScript scan then does it all) when its memory cannot be had. */
function newFloatRowParser(...args: ConstructorParameters<typeof FloatRowParser>): FloatRowParser | undefined {
  try {
    return new FloatRowParser(...args);
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

function findComma(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === COMMA) return i;
  return end;
}

function countFields(buf: Uint8Array, start: number, end: number): number {
  let n = 1;
  for (let i = start; i < end; i++) if (buf[i] === COMMA) n++;
  return n;
}

/** A field as CSV: quoted when it holds a comma, quote or line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The WebAssembly float-row parser (csv-floats.c) behind a typed array
 * interface: plain CSV rows in, float32 rows per input and the byte ranges of
 * kept fields out. It takes the rows that need no slow path, at a fraction of
 * the JavaScript scan's time (README, "predict-batch performance"); the
 * caller parses any row it stops at.
 */
import { align8, instantiate, REGION_BYTES, reserve, type WasmMemory } from './module.js';

/** What the parser does with one header column. */
export interface FloatRowColumn {
  /** The float input the column feeds, or -1. */
  input: number;
  /** Its position in the input's row. */
  offset: number;
  /** Its slot among kept columns, or -1. */
  keep: number;
}

type ParseRows = (
  buf: number,
  starts: number,
  ends: number,
  n: number,
  kinds: number,
  args: number,
  width: number,
  out: number,
  spans: number,
  keepCount: number,
) => number;

const SLACK = 16;

export class FloatRowParser {
  private readonly memory: WasmMemory;
  private readonly parseRows: ParseRows;
  private readonly width: number;
  private readonly keepCount: number;
  private readonly strides: number[];
  /** Byte offsets in memory. */
  private readonly kindsAt: number;
  private readonly argsAt: number;
  private readonly outAt: number;
  /** Float offset of each input's region, from outAt. */
  private readonly regionAt: number[];
  private readonly spansAt: number;
  private readonly startsAt: number;
  private readonly endsAt: number;
  private readonly bufAt: number;
  private bytes!: Uint8Array;
  private ints!: Int32Array;
  private floats!: Float32Array;
  /** The buffer whose bytes are in memory now (a chunk is parsed in several calls). */
  private loaded: Uint8Array | undefined;

  /** Most rows per call: the batch's, unless their floats would pass REGION_BYTES. */
  readonly capacity: number;

  /** `strides[k]`: input k's floats per row; `batchRows`: rows of a batch. */
  constructor(columns: FloatRowColumn[], strides: number[], batchRows: number) {
    const instance = instantiate();
    this.memory = instance.memory;
    this.parseRows = instance.exports.parse_rows as ParseRows;
    this.width = columns.length;
    this.keepCount = columns.reduce((n, c) => (c.keep >= 0 ? n + 1 : n), 0);
    this.strides = strides;
    const bytesPerRow = 4 * strides.reduce((a, b) => a + b, 0) + 8 * this.keepCount + 8;
    const capacity = Math.max(1, Math.min(batchRows, Math.floor(REGION_BYTES / bytesPerRow)));
    this.capacity = capacity;
    let at = align8(instance.heapBase);
    this.kindsAt = at;
    at = align8(at + this.width);
    this.argsAt = at;
    at = align8(at + 12 * this.width);
    this.outAt = at;
    this.regionAt = [];
    let floats = 0;
    for (const stride of strides) {
      this.regionAt.push(floats);
      floats += capacity * stride;
    }
    at = align8(at + 4 * floats);
    this.spansAt = at;
    at = align8(at + 8 * capacity * this.keepCount);
    this.startsAt = at;
    at = align8(at + 4 * capacity);
    this.endsAt = at;
    this.bufAt = align8(at + 4 * capacity);
    if (!this.reserve(this.bufAt)) throw new RangeError('no memory for the WebAssembly row parser');
    columns.forEach((col, c) => {
      this.bytes[this.kindsAt + c] = (col.input >= 0 ? 1 : 0) | (col.keep >= 0 ? 2 : 0);
      const args = this.argsAt / 4;
      this.ints[args + c] = col.input >= 0 ? this.regionAt[col.input] + col.offset : 0;
      this.ints[args + this.width + c] = col.input >= 0 ? strides[col.input] : 0;
      this.ints[args + 2 * this.width + c] = col.keep;
    });
  }

  /** Memory up to byte `end`; views are remade when it grows (growing detaches them). */
  private reserve(end: number): boolean {
    const ok = reserve(this.memory, end);
    if (!this.bytes || this.bytes.buffer !== this.memory.buffer) {
      this.bytes = new Uint8Array(this.memory.buffer);
      this.ints = new Int32Array(this.memory.buffer);
      this.floats = new Float32Array(this.memory.buffer);
    }
    return ok;
  }

  /**
   * Rows [from, from + n) of `buf` (byte ranges starts/ends, no quotes), at
   * most `capacity`. Returns how many were parsed: n, or the index (from
   * `from`) of the first row to parse another way.
   */
  parse(buf: Uint8Array, starts: Int32Array, ends: Int32Array, from: number, n: number): number {
    if (n > this.capacity) throw new RangeError(`${n} rows, more than the parser's capacity ${this.capacity}`);
    if (this.loaded !== buf) {
      // The parser reads up to 8 bytes past a field (never using them): slack after the rows.
      // A buffer that does not fit (a row of gigabytes) is left to the caller, row by row.
      if (!this.reserve(this.bufAt + buf.length + SLACK)) {
        this.loaded = undefined;
        return 0;
      }
      this.bytes.set(buf, this.bufAt);
      this.loaded = buf;
    }
    this.ints.set(starts.subarray(from, from + n), this.startsAt / 4);
    this.ints.set(ends.subarray(from, from + n), this.endsAt / 4);
    return this.parseRows(
      this.bufAt,
      this.startsAt,
      this.endsAt,
      n,
      this.kindsAt,
      this.argsAt,
      this.width,
      this.outAt,
      this.spansAt,
      this.keepCount,
    );
  }

  /** Input k's floats of the first `rows` rows of the last parse. */
  floatsOf(k: number, rows: number): Float32Array {
    const first = this.outAt / 4 + this.regionAt[k];
    return this.floats.subarray(first, first + rows * this.strides[k]);
  }

  /** Where row r's kept field in `slot` starts in the parsed buffer (of the last parse). */
  keptStart(r: number, slot: number): number {
    return this.ints[this.spansAt / 4 + (r * this.keepCount + slot) * 2];
  }

  /** Where it ends. */
  keptEnd(r: number, slot: number): number {
    return this.ints[this.spansAt / 4 + (r * this.keepCount + slot) * 2 + 1];
  }
}

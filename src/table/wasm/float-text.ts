/**
 * float-text.c behind typed arrays: rows of float32 outputs in, their text
 * out (values joined by commas, a newline per row), as formatFloat32 prints
 * them. A row it cannot say (a magnitude past the fast search's range) comes
 * back marked, for the JavaScript writer.
 */
import { align8, instantiate, reserve, type WasmMemory } from './module.js';

type FormatRows = (rows: number, count: number, data: number, widths: number, dst: number, ends: number) => number;

/** Room per value: a sign, "0.", five zeros and nine digits, or an exponent form, and a comma. */
const BYTES_PER_VALUE = 24;

export class FloatRowsText {
  private readonly memory: WasmMemory;
  private readonly formatRows: FormatRows;
  private readonly heapBase: number;

  constructor() {
    const instance = instantiate();
    this.memory = instance.memory;
    this.formatRows = instance.exports.format_rows as FormatRows;
    this.heapBase = align8(instance.heapBase);
  }

  /**
   * The text of `rows` rows of `outputs` (output o holds widths[o] values per
   * row). `text` and `ends` are views of this writer's memory, valid until
   * its next call: row r is text[ends[r - 1] .. ends[r]), newline included, or
   * ends[r] = -1 when the JavaScript writer must say it (no bytes then).
   * Undefined when the memory for it cannot be had.
   */
  format(rows: number, outputs: Float32Array[], widths: number[]): { text: Uint8Array; ends: Int32Array } | undefined {
    const perRow = widths.reduce((a, w) => a + w, 0);
    let at = this.heapBase;
    const dataAt = outputs.map((o) => {
      const place = at;
      at = align8(at + 4 * o.length);
      return place;
    });
    const pointersAt = at;
    at = align8(at + 4 * outputs.length);
    const widthsAt = at;
    at = align8(at + 4 * outputs.length);
    const endsAt = at;
    at = align8(at + 4 * rows);
    const textAt = at;
    // Memory it cannot have (a row of millions of values): the JavaScript writer says it all.
    if (!reserve(this.memory, textAt + rows * (perRow * BYTES_PER_VALUE + 1))) return undefined;
    const { buffer } = this.memory;
    outputs.forEach((o, k) => new Float32Array(buffer, dataAt[k], o.length).set(o));
    new Int32Array(buffer, pointersAt, outputs.length).set(dataAt);
    new Int32Array(buffer, widthsAt, outputs.length).set(widths);
    const length = this.formatRows(rows, outputs.length, pointersAt, widthsAt, textAt, endsAt);
    return { text: new Uint8Array(buffer, textAt, length), ends: new Int32Array(buffer, endsAt, rows) };
  }
}

/**
 * Column-wise reading of a CSV for drift: numerical columns straight into
 * Float64Arrays (byte-level parsing, as predict-batch does), categorical ones
 * as strings; missing values counted, never stored.
 */
import { scanDecimal, scanState } from '../table/fast-number.js';
import { isMissingCell as isMissing, parseFloatCell, quoteCell } from '../table/cell-values.js';
import { readHeader, readRows, type CsvHeaderInfo } from '../table/row-reader.js';
import type { TableFormat } from '../table/table-format.js';
import { MlopsError } from '../util/errors.js';
import { type ColumnSinks, takeParquetChunk } from './parquet-columns.js';
import { badRowReason, everyRowBad, readBoundedRows, type SkippedRows } from '../table/bounded-rows.js';

export type ColumnKind = 'numerical' | 'categorical';

export interface ColumnData {
  name: string;
  kind: ColumnKind;
  numbers?: Float64Array;
  categories?: Map<string, number>;
  /** Values present (not missing). */
  count: number;
  missing: number;
}

class Growable {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  take(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

export interface ColumnRequest {
  name: string;
  kind: ColumnKind;
}

/**
 * The detection rule, said in the report: a column is categorical when a
 * present value in the first rows of the reference is not a number, or when
 * its values there are integers with at most `maxIntegerLevels` distinct ones.
 */
export function detectKind(values: string[], maxIntegerLevels = 10): { kind: ColumnKind; rule: string } {
  const present = values.filter((v) => !isMissing(v));
  const nonNumeric = present.find((v) => parseFloatCell(v) === undefined);
  if (nonNumeric !== undefined)
    return { kind: 'categorical', rule: `non-numeric values ("${nonNumeric.slice(0, 20)}")` };
  const distinct = new Set(present.map((v) => Number(v)));
  if (present.length > 0 && [...distinct].every(Number.isInteger) && distinct.size <= maxIntegerLevels) {
    return { kind: 'categorical', rule: `integers with ${distinct.size} distinct values (<= ${maxIntegerLevels})` };
  }
  return { kind: 'numerical', rule: 'numeric values' };
}

/** The columns read, and the bad rows skipped on the way (the rule of table/bounded-rows.ts). */
export interface ColumnsRead extends SkippedRows {
  columns: ColumnData[];
}

export async function readColumns(
  file: string,
  header: CsvHeaderInfo,
  requests: ColumnRequest[],
): Promise<ColumnsRead> {
  const index = new Map(header.header.map((h, i) => [h, i]));
  const width = header.header.length;
  // Per header column: -1 ignored, else slot in `requests`.
  const slot = new Int32Array(width).fill(-1);
  requests.forEach((r, k) => (slot[index.get(r.name)!] = k));
  const numeric = requests.map((r) => (r.kind === 'numerical' ? new Growable() : undefined));
  const categories = requests.map((r) => (r.kind === 'categorical' ? new Map<string, number>() : undefined));
  const missing = new Float64Array(requests.length);
  const tally: SkippedRows = { file, skipped: 0 };
  const skip = (line: number, reason: string) => {
    tally.skipped++;
    tally.firstSkipped ??= { line, reason };
  };
  // What the row being read added, undone if it turns out to have the wrong number of fields.
  const numberStart = new Int32Array(requests.length);
  const missingStart = new Float64Array(requests.length);
  const rowCategories: Array<[Map<string, number>, string]> = [];

  const take = (k: number, text: string, line: number) => {
    if (isMissing(text)) {
      missing[k]++;
      return;
    }
    const req = requests[k];
    if (req.kind === 'numerical') {
      const v = parseFloatCell(text);
      if (v === undefined) {
        throw new MlopsError(
          'CSV_BAD_VALUE',
          `${file}:${line}: column "${req.name}": ${quoteCell(text)} is not a number`,
          {
            hint: `the column was taken as numerical; pass \`categorical\` ${req.name} if it holds categories, or fix the value`,
          },
        );
      }
      numeric[k]!.push(v);
    } else {
      const map = categories[k]!;
      map.set(text, (map.get(text) ?? 0) + 1);
      rowCategories.push([map, text]);
    }
  };

  const sinks: ColumnSinks = {
    slot,
    push: numeric.map((g) => g && ((v: number) => g.push(v))),
    missing,
    take,
  };
  for await (const chunk of readRows(file, header, { malformedRows: 'mark' })) {
    // Parquet rows are never bad (a value per column each): its columns are read as they are.
    if (chunk.columns) {
      takeParquetChunk(chunk, sinks);
      rowCategories.length = 0; // kept only to take back a bad CSV row's categories
      continue;
    }
    const buf = chunk.buf;
    for (let r = 0; r < chunk.count; r++) {
      if (chunk.malformed?.has(r)) {
        skip(chunk.lines[r], badRowReason(chunk, r, undefined, header.header)!);
        continue;
      }
      const record = chunk.records?.get(r);
      if (record) {
        const reason = badRowReason(chunk, r, record, header.header);
        if (reason) skip(chunk.lines[r], reason);
        else for (let c = 0; c < width; c++) if (slot[c] >= 0) take(slot[c], record[c], chunk.lines[r]);
        continue;
      }
      for (let k = 0; k < requests.length; k++) {
        numberStart[k] = numeric[k]?.length ?? 0;
        missingStart[k] = missing[k];
      }
      rowCategories.length = 0;
      const end = chunk.ends[r];
      let c: number;
      try {
        c = readFastRow(buf, chunk.starts[r], end, chunk.lines[r]);
      } catch (err) {
        // "not a number" in a row with the wrong number of fields is that row's shift, not the value's fault.
        const fields = countFields(buf, chunk.starts[r], end);
        if (fields === width) throw err;
        c = fields;
      }
      if (c !== width) {
        // A row with the wrong number of fields counts for nothing: take back what it added.
        for (let k = 0; k < requests.length; k++) {
          if (numeric[k]) numeric[k]!.length = numberStart[k];
          missing[k] = missingStart[k];
        }
        for (const [map, text] of rowCategories) map.set(text, map.get(text)! - 1);
        skip(chunk.lines[r], badRowReason(chunk, r, new Array<string>(c), header.header)!);
      }
    }
  }
  /** Reads the fields of one unquoted row into the columns; returns how many fields it has. */
  function readFastRow(buf: Buffer, start: number, end: number, line: number): number {
    let c = 0;
    let i = start;
    for (;;) {
      let fieldEnd = -1;
      const k = c < width ? slot[c] : -1;
      if (k >= 0 && requests[k].kind === 'numerical') {
        const v = scanDecimal(buf, i, end);
        if (v === v) {
          fieldEnd = scanState.end;
          numeric[k]!.push(v);
        }
      }
      if (fieldEnd < 0) {
        fieldEnd = buf.indexOf(0x2c, i);
        if (fieldEnd < 0 || fieldEnd > end) fieldEnd = end;
        if (k >= 0) take(k, buf.toString('utf8', i, fieldEnd), line);
      }
      c++;
      if (fieldEnd >= end) return c;
      i = fieldEnd + 1;
    }
  }
  const columns = requests.map((req, k) => {
    const numbers = numeric[k]?.take();
    const cats = categories[k];
    // A category seen only in rows taken back is not a category of the file.
    if (cats) for (const [text, n] of cats) if (n === 0) cats.delete(text);
    const count = numbers ? numbers.length : [...cats!.values()].reduce((a, b) => a + b, 0);
    return { name: req.name, kind: req.kind, numbers, categories: cats, count, missing: missing[k] };
  });
  return { ...tally, columns };
}

/**
 * The first `limit` good rows of a file, for judging column types; bad rows are passed over as
 * everywhere. A file whose rows are all bad is refused here (an empty one is the caller's to say).
 */
export async function readSample(file: string, limit: number, format?: TableFormat): Promise<string[][]> {
  const sample = await readBoundedRows(file, { limit, pick: 'first', badRows: 'skip', stopAtLimit: true, format });
  if (sample.rows.length === 0 && sample.skipped > 0) throw everyRowBad(sample);
  return sample.rows;
}

/** Fields in an unquoted row: its commas plus one. */
function countFields(buf: Buffer, start: number, end: number): number {
  let fields = 1;
  for (let i = buf.indexOf(0x2c, start); i >= 0 && i < end; i = buf.indexOf(0x2c, i + 1)) fields++;
  return fields;
}

export { readHeader };

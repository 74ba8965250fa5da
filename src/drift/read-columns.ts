/**
 * Column-wise reading of a CSV for drift: numerical columns straight into
 * Float64Arrays (byte-level parsing, as predict-batch does), categorical ones
 * as strings; missing values counted, never stored.
 */
import { scanDecimal, scanState } from '../table/fast-number.js';
import { isMissingCell as isMissing, parseFloatCell, quoteCell } from '../table/cell-values.js';
import { readHeader, readRows, type CsvHeaderInfo } from '../table/row-reader.js';
import { MlopsError } from '../util/errors.js';

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

export async function readColumns(
  file: string,
  header: CsvHeaderInfo,
  requests: ColumnRequest[],
): Promise<ColumnData[]> {
  const index = new Map(header.header.map((h, i) => [h, i]));
  const width = header.header.length;
  // Per header column: -1 ignored, else slot in `requests`.
  const slot = new Int32Array(width).fill(-1);
  requests.forEach((r, k) => (slot[index.get(r.name)!] = k));
  const numeric = requests.map((r) => (r.kind === 'numerical' ? new Growable() : undefined));
  const categories = requests.map((r) => (r.kind === 'categorical' ? new Map<string, number>() : undefined));
  const missing = new Float64Array(requests.length);

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
    }
  };

  for await (const chunk of readRows(file, header, {})) {
    const buf = chunk.buf;
    for (let r = 0; r < chunk.count; r++) {
      const record = chunk.records?.get(r);
      if (record) {
        if (record.length !== width)
          throw new MlopsError(
            'CSV_BAD_ROW',
            `${file}:${chunk.lines[r]}: has ${record.length} fields, the header has ${width}`,
          );
        for (let c = 0; c < width; c++) if (slot[c] >= 0) take(slot[c], record[c], chunk.lines[r]);
        continue;
      }
      const end = chunk.ends[r];
      let c = 0;
      let i = chunk.starts[r];
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
          if (k >= 0) take(k, buf.toString('utf8', i, fieldEnd), chunk.lines[r]);
        }
        c++;
        if (fieldEnd >= end) break;
        i = fieldEnd + 1;
      }
      if (c !== width)
        throw new MlopsError('CSV_BAD_ROW', `${file}:${chunk.lines[r]}: has ${c} fields, the header has ${width}`, {
          hint: 'every row needs as many fields as the header',
        });
    }
  }
  return requests.map((req, k) => {
    const numbers = numeric[k]?.take();
    const cats = categories[k];
    const count = numbers ? numbers.length : [...cats!.values()].reduce((a, b) => a + b, 0);
    return { name: req.name, kind: req.kind, numbers, categories: cats, count, missing: missing[k] };
  });
}

export { readHeader };

import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

export function readCsv(file: string): { header: string[]; rows: string[][] } {
  const records = parse(readFileSync(file, 'utf8'), { bom: true }) as string[][];
  return { header: records[0], rows: records.slice(1) };
}

/**
 * Largest relative difference between two numeric columns. Columns of
 * different lengths, or an empty or non-numeric cell, count as Infinity:
 * a short or broken output never passes.
 */
export function maxRelativeError(actual: string[], expected: string[]): number {
  if (actual.length !== expected.length || actual.length === 0) return Infinity;
  let worst = 0;
  actual.forEach((a, i) => {
    const x = a.trim() === '' ? NaN : Number(a);
    const y = Number(expected[i]);
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (!(Number.isNaN(x) && Number.isNaN(y))) worst = Infinity;
      return;
    }
    const rel = Math.abs(x - y) / Math.max(Math.abs(y), 1e-30);
    worst = Math.max(worst, x === y ? 0 : rel);
  });
  return worst;
}

import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

export function readCsv(file: string): { header: string[]; rows: string[][] } {
  const records = parse(readFileSync(file, 'utf8'), { bom: true }) as string[][];
  return { header: records[0], rows: records.slice(1) };
}

/** Assert two numeric columns agree within a relative tolerance (and exactly as float32 when asked). */
export function maxRelativeError(actual: string[], expected: string[]): number {
  let worst = 0;
  actual.forEach((a, i) => {
    const x = Number(a);
    const y = Number(expected[i]);
    const rel = Math.abs(x - y) / Math.max(Math.abs(y), 1e-30);
    worst = Math.max(worst, x === y ? 0 : rel);
  });
  return worst;
}

/**
 * How predict-batch names where a row is: a CSV row by the line it starts on
 * (what an editor shows), a Parquet row by its 1-based number in the file
 * (what `df.iloc[n - 1]` or DuckDB's file_row_number + 1 finds).
 */
import type { TableFormat } from '../table/table-format.js';

export type RowWord = 'line' | 'row';

export function rowWord(format: TableFormat | undefined): RowWord {
  return format === 'parquet' ? 'row' : 'line';
}

/** `data.csv:12` or `data.parquet: row 12`, before a colon and the reason. */
export function rowAt(file: string, word: RowWord, n: number): string {
  return word === 'line' ? `${file}:${n}` : `${file}: row ${n}`;
}

/** `rows on lines 2-1025` or `rows 1-1024`; `row on line 7` or `row 7` for one. */
export function rowSpan(word: RowWord, first: number, last: number): string {
  if (first === last) return word === 'line' ? `row on line ${first}` : `row ${first}`;
  return word === 'line' ? `rows on lines ${first}-${last}` : `rows ${first}-${last}`;
}

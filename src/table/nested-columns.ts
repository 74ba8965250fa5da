/**
 * Parquet's nested columns (lists, structs, maps) have no value per cell, so
 * a command that needs one from such a column refuses it, naming the column
 * and its type; a nested column nothing uses is read past (a '' stands in).
 */
import { MlopsError } from '../util/errors.js';
import type { CsvHeaderInfo } from './row-reader.js';

/** Nested columns of a file by name, with their Parquet (DuckDB) type; undefined for a CSV or a file without any. */
export function nestedColumns(info: Pick<CsvHeaderInfo, 'parquet'>): ReadonlyMap<string, string> | undefined {
  const nested = info.parquet?.columns.filter((c) => c.kind === 'nested');
  return nested?.length ? new Map(nested.map((c) => [c.name, c.type])) : undefined;
}

/** PARQUET_COLUMN_UNSUPPORTED for the first of `used` that is nested; `hint` says how to leave it out. */
export function refuseNested(
  file: string,
  nested: ReadonlyMap<string, string> | undefined,
  used: Iterable<string>,
  hint: string,
): void {
  if (!nested) return;
  for (const name of used) {
    const type = nested.get(name);
    if (type === undefined) continue;
    throw new MlopsError(
      'PARQUET_COLUMN_UNSUPPORTED',
      `${file}: column "${name}" is a nested Parquet column (${type}), which has no single value per row`,
      { hint },
    );
  }
}

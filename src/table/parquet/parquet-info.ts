/** A Parquet file's columns (as DuckDB types them) and row groups, from its footer alone. */
import { MlopsError } from '../../util/errors.js';
import { duckdb, parquetError, sqlString } from './duckdb.js';

/**
 * How a column's cells reach the rest of mlops:
 * - float, int, bool, string: values, under the same rules as CSV cells;
 * - text: other scalars (timestamps, dates, decimals, UUIDs...) as DuckDB prints them, fine as kept columns;
 * - nested: lists, structs and maps, refused wherever a cell is needed.
 */
export type ParquetKind = 'float' | 'int' | 'bool' | 'string' | 'text' | 'nested';

export interface ParquetColumn {
  name: string;
  /** DuckDB's type name (DOUBLE, BIGINT, VARCHAR, TIMESTAMP, DECIMAL(10,2), BIGINT[]...). */
  type: string;
  kind: ParquetKind;
}

export interface ParquetInfo {
  columns: ParquetColumn[];
  /** Row groups in file order: the first row (0-based) and the rows of each. */
  rowGroups: Array<{ firstRow: number; rows: number }>;
  rows: number;
}

export function parquetKind(type: string): ParquetKind {
  if (/[[\]]|^(STRUCT|MAP|UNION)\b/.test(type)) return 'nested';
  if (type === 'DOUBLE' || type === 'FLOAT') return 'float';
  if (/^U?(TINYINT|SMALLINT|INTEGER|BIGINT)$/.test(type)) return 'int';
  if (type === 'BOOLEAN') return 'bool';
  if (type === 'VARCHAR') return 'string';
  return 'text';
}

export async function readParquetInfo(file: string): Promise<ParquetInfo> {
  const connection = await duckdb();
  try {
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
    const columns = described.getRowObjectsJS().map((r) => {
      const type = String(r.column_type);
      return { name: String(r.column_name), type, kind: parquetKind(type) };
    });
    if (columns.length === 0)
      throw new MlopsError('CSV_EMPTY', `${file} has no columns`, { hint: 'write the table with at least one column' });
    const groups = await connection.runAndReadAll(
      `SELECT row_group_id AS id, max(row_group_num_rows) AS n FROM parquet_metadata(${sqlString(file)}) GROUP BY row_group_id ORDER BY row_group_id`,
    );
    let firstRow = 0;
    const rowGroups = groups.getRowObjectsJS().map((r) => {
      const rows = Number(r.n);
      const group = { firstRow, rows };
      firstRow += rows;
      return group;
    });
    return { columns, rowGroups, rows: firstRow };
  } catch (err) {
    throw parquetError(file, err);
  }
}

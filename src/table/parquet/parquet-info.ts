/** A Parquet file's columns (as DuckDB types them) and row groups, from its footer alone. */
import type { DuckDBConnection } from '@duckdb/node-api';
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
    checkStoredNames(file, await storedNames(connection, file));
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

/**
 * The top-level column names as the file stores them. DuckDB renames a second
 * `age` to `age_1` and an empty name to `C6`, which would feed or keep a column
 * under a name the file does not have.
 */
async function storedNames(connection: DuckDBConnection, file: string): Promise<string[]> {
  const schema = (
    await connection.runAndReadAll(`SELECT name, num_children FROM parquet_schema(${sqlString(file)})`)
  ).getRowObjectsJS();
  const names: string[] = [];
  // Depth-first: the root, then each column followed by its nested fields.
  const skip = (i: number): number => {
    let next = i + 1;
    for (let k = 0; k < Number(schema[i]?.num_children ?? 0); k++) next = skip(next);
    return next;
  };
  let i = 1;
  for (let k = 0; k < Number(schema[0]?.num_children ?? 0) && i < schema.length; k++) {
    names.push(String(schema[i].name ?? ''));
    i = skip(i);
  }
  return names;
}

/** The same rule as a CSV header: every column named, each name once. */
function checkStoredNames(file: string, names: string[]): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name.trim() === '')
      throw new MlopsError('CSV_BAD_HEADER', `${file}: column ${i + 1} has no name`, {
        hint: 'name every column when writing the file (pyarrow: table.rename_columns([...]))',
      });
    if (seen.has(name))
      throw new MlopsError('CSV_BAD_HEADER', `${file}: column name "${name}" appears more than once`, {
        hint: 'give every column its own name when writing the file (pyarrow: table.rename_columns([...]); pandas: df.columns = [...])',
      });
    seen.add(name);
  });
}

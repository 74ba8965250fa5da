/**
 * Parquet rows in chunks, streamed by DuckDB: memory holds the row group
 * being decoded and one chunk of rows, never the file. Each chunk carries
 * its values column by column (typed arrays, for predict-batch's encoder),
 * and, for every other reader of rows, each row's cells as the text a CSV
 * would hold, so one set of cell rules serves both formats.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { formatFloat32 } from '../../util/format-number.js';
import type { RowChunk } from '../row-reader.js';
import { ColumnBuilder, type TableColumn } from './column-values.js';
import { parquetError, sqlName, sqlString, streamingConnection } from './duckdb.js';
import type { ParquetColumn, ParquetInfo } from './parquet-info.js';

export interface ParquetRowsOptions {
  /** Rows [start, end) of the file (0-based), e.g. a shard's row groups. */
  rows?: { start: number; end: number };
  /** Rows per chunk (default 16384: DuckDB hands over 2048 at a time, joined to cut per-chunk work downstream). */
  chunkRows?: number;
}

/** What the SELECT reads for a column: nested columns are not read at all (a NULL stands in). */
function selectOf(c: ParquetColumn): string {
  const name = sqlName(c.name);
  if (c.kind === 'nested') return `NULL::VARCHAR AS ${name}`;
  if (c.kind === 'text') return `CAST(${name} AS VARCHAR) AS ${name}`;
  return name;
}

export async function* readParquetRows(
  file: string,
  info: ParquetInfo,
  options: ParquetRowsOptions = {},
): AsyncGenerator<RowChunk> {
  const connection = await streamingConnection();
  try {
    yield* streamRows(connection, file, info, options);
  } finally {
    connection.closeSync();
  }
}

async function* streamRows(
  connection: DuckDBConnection,
  file: string,
  info: ParquetInfo,
  options: ParquetRowsOptions,
): AsyncGenerator<RowChunk> {
  const { start, end } = options.rows ?? { start: 0, end: info.rows };
  const columns = info.columns.map(selectOf).join(', ');
  // DuckDB's file_row_number prunes row groups outside a shard, but it cannot be asked for when the
  // file has a column of that name: then rows are counted (the scan keeps file order) and a shard is
  // a LIMIT/OFFSET, which reads the rows before it.
  const numbered = !info.columns.some((c) => c.name === 'file_row_number');
  const sql = numbered
    ? `SELECT ${columns}, file_row_number FROM read_parquet(${sqlString(file)}, file_row_number = true)${options.rows ? ` WHERE file_row_number >= ${start} AND file_row_number < ${end}` : ''}`
    : `SELECT ${columns} FROM read_parquet(${sqlString(file)})${options.rows ? ` LIMIT ${end - start} OFFSET ${start}` : ''}`;
  const target = options.chunkRows ?? 16384;
  let result: Awaited<ReturnType<typeof connection.stream>>;
  try {
    result = await connection.stream(sql);
  } catch (err) {
    throw parquetError(file, err);
  }
  const width = info.columns.length;
  // DuckDB hands over at most 2048 rows at a time: a chunk ends within 2048 rows past the target.
  const capacity = target + 2048;
  const builders = info.columns.map((c) => new ColumnBuilder(c.kind, c.type, capacity));
  let lines = new Int32Array(capacity);
  let pending = 0;
  let done = 0;
  const flush = (): RowChunk => {
    const columns = builders.map((b) => b.take());
    const chunk = rowChunk(columns, lines.subarray(0, pending), pending, done);
    lines = new Int32Array(capacity);
    pending = 0;
    return chunk;
  };
  for (;;) {
    let fetched: Awaited<ReturnType<typeof result.fetchChunk>>;
    try {
      fetched = await result.fetchChunk();
    } catch (err) {
      throw parquetError(file, err);
    }
    if (!fetched || fetched.rowCount === 0) break;
    const n = fetched.rowCount;
    if (pending + n > capacity) yield flush(); // a reader that hands over more than 2048 rows at once
    for (let c = 0; c < width; c++) builders[c].append(fetched.getColumnVector(c), n);
    if (numbered) {
      const numbers = (fetched.getColumnVector(width) as unknown as { items: BigInt64Array }).items;
      for (let i = 0; i < n; i++) lines[pending + i] = Number(numbers[i]) + 1;
    } else {
      for (let i = 0; i < n; i++) lines[pending + i] = start + done + i + 1;
    }
    pending += n;
    done += n;
    if (pending >= target) yield flush();
  }
  if (pending > 0) yield flush();
}

/** A Parquet chunk as a RowChunk: typed columns, and each row's cells as text on demand. */
function rowChunk(columns: TableColumn[], lines: Int32Array, count: number, done: number): RowChunk {
  const empty = new Int32Array(count);
  return {
    count,
    buf: Buffer.alloc(0),
    starts: empty,
    ends: empty,
    records: new ParquetCells(columns),
    malformed: null,
    lines,
    bytesRead: done,
    columns,
  };
}

/** Row r's cells as a CSV would hold them: a null (or a float NaN) is an empty cell, a missing value. */
export class ParquetCells {
  constructor(private readonly columns: TableColumn[]) {}

  get(r: number): string[] {
    return this.columns.map((c) => cellText(c, r));
  }
}

export function cellText(c: TableColumn, r: number): string {
  if (c.nulls?.[r]) return '';
  const v = c.values[r];
  switch (c.kind) {
    case 'float':
      if (Number.isNaN(v)) return '';
      return c.values instanceof Float32Array ? formatFloat32(v as number) : String(v);
    case 'bool':
      return v ? 'true' : 'false';
    default:
      return String(v);
  }
}

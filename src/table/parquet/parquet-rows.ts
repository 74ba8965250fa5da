/**
 * Parquet rows in chunks, streamed by DuckDB: memory holds the row group
 * being decoded and one chunk of rows, never the file. Each chunk carries
 * its values column by column (typed arrays, for predict-batch's encoder),
 * and, for every other reader of rows, each row's cells as the text a CSV
 * would hold, so one set of cell rules serves both formats.
 */
import { formatFloat32 } from '../../util/format-number.js';
import type { RowChunk } from '../row-reader.js';
import { columnFromVector, type TableColumn } from './column-values.js';
import { ownConnection, parquetError, sqlName, sqlString } from './duckdb.js';
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
  const connection = await ownConnection();
  try {
    yield* streamRows(connection, file, info, options);
  } finally {
    connection.closeSync();
  }
}

async function* streamRows(
  connection: Awaited<ReturnType<typeof ownConnection>>,
  file: string,
  info: ParquetInfo,
  options: ParquetRowsOptions,
): AsyncGenerator<RowChunk> {
  const { start, end } = options.rows ?? { start: 0, end: info.rows };
  const where = options.rows ? ` WHERE file_row_number >= ${start} AND file_row_number < ${end}` : '';
  const sql = `SELECT ${info.columns.map(selectOf).join(', ')}, file_row_number FROM read_parquet(${sqlString(file)}, file_row_number = true)${where}`;
  const target = options.chunkRows ?? 16384;
  let result: Awaited<ReturnType<typeof connection.stream>>;
  try {
    result = await connection.stream(sql);
  } catch (err) {
    throw parquetError(file, err);
  }
  const width = info.columns.length;
  let parts: TableColumn[][] = [];
  let rowNumbers: BigInt64Array[] = [];
  let pending = 0;
  let done = 0;
  const flush = (): RowChunk => {
    const chunk = joinChunk(info, parts, rowNumbers, pending, done);
    parts = [];
    rowNumbers = [];
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
    parts.push(info.columns.map((c, i) => columnFromVector(fetched!.getColumnVector(i), c.kind, c.type, n)));
    rowNumbers.push((fetched.getColumnVector(width) as unknown as { items: BigInt64Array }).items.slice());
    pending += n;
    done += n;
    if (pending >= target) yield flush();
  }
  if (pending > 0) yield flush();
}

/** The chunk's columns joined from DuckDB's 2048-row pieces, as a RowChunk. */
function joinChunk(
  info: ParquetInfo,
  parts: TableColumn[][],
  rowNumbers: BigInt64Array[],
  count: number,
  done: number,
): RowChunk {
  const columns = info.columns.map((_, c) =>
    joinColumn(
      parts.map((p) => p[c]),
      count,
    ),
  );
  const lines = new Int32Array(count);
  let at = 0;
  for (const numbers of rowNumbers) for (const n of numbers) lines[at++] = Number(n) + 1;
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

function joinColumn(pieces: TableColumn[], count: number): TableColumn {
  if (pieces.length === 1) return pieces[0];
  const first = pieces[0];
  let values: TableColumn['values'];
  if (Array.isArray(first.values)) {
    values = ([] as string[]).concat(...pieces.map((p) => p.values as string[]));
  } else {
    const Typed = first.values.constructor as new (n: number) => Exclude<TableColumn['values'], string[]>;
    const out = new Typed(count);
    let at = 0;
    for (const p of pieces) {
      (out as Float64Array).set(p.values as Float64Array, at);
      at += p.values.length;
    }
    values = out;
  }
  let nulls: Uint8Array | null = null;
  if (pieces.some((p) => p.nulls)) {
    nulls = new Uint8Array(count);
    let at = 0;
    for (const p of pieces) {
      if (p.nulls) nulls.set(p.nulls, at);
      at += p.values.length;
    }
  }
  return { kind: first.kind, values, nulls };
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

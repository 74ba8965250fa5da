/**
 * Bounded sets of rows from the streaming reader, for commands that need rows
 * in memory (parity data, calibration and validation samples, bench inputs,
 * metric data). Memory is set by `limit`, never by the size of the file: a
 * 300 MB CSV costs what its first (or sampled) `limit` rows cost.
 *
 * One rule for bad rows (broken quoting, a wrong number of fields):
 * - 'skip': a sample drops them and counts them, as predict-batch
 *   --on-error skip does; the caller reports the count;
 * - 'refuse': rows that pair up by position (a parity check's input and
 *   expected rows) cannot lose one, so the first bad row is CSV_BAD_ROW
 *   naming file:line.
 */
import { MlopsError } from '../util/errors.js';
import { random } from '../util/random.js';
import { readHeader, readRows, type RowChunk } from './row-reader.js';
import { nestedColumns } from './nested-columns.js';
import type { TableFormat } from './table-format.js';

export interface BoundedRows {
  file: string;
  header: string[];
  rows: string[][];
  /** Line (1-based, header = 1) on which each kept row starts. */
  lines: number[];
  /** Good data rows in the whole file (every row is counted, only `limit` of them kept). */
  totalRows: number;
  /** Bad rows skipped (with badRows 'skip'). */
  skipped: number;
  /** The first skipped row, for the message that reports the count. */
  firstSkipped?: { line: number; reason: string };
  /** Parquet: the nested columns (name -> type), whose cells are '' here; refused where a value is needed. */
  nested?: ReadonlyMap<string, string>;
}

export interface BoundedRowsOptions {
  /** Rows kept at most. */
  limit: number;
  /**
   * 'first': the first `limit` rows (rows that pair by position, or any rows
   * where which ones does not matter); 'reservoir': a uniform sample of the
   * whole file (a statistic of the file, such as calibration ranges), kept in
   * file order and the same on every run.
   */
  pick: 'first' | 'reservoir';
  badRows: 'skip' | 'refuse';
  /** With pick 'first': stop at `limit` rows instead of counting the rest (totalRows is then a lower bound). */
  stopAtLimit?: boolean;
  /** `--input-format`: read as this format (a file that is not in it is refused); by default, by its first bytes. */
  format?: TableFormat;
}

/** The row's fields: parsed by csv-parse when it had quotes, else split at commas. */
export function rowFields(chunk: RowChunk, r: number): string[] {
  return chunk.records?.get(r) ?? chunk.buf.toString('utf8', chunk.starts[r], chunk.ends[r]).split(',');
}

/**
 * What is wrong with row r of the chunk, if anything, in predict-batch's words: the one bad-row
 * rule (broken quoting, a wrong number of fields) for every reader of rows. `fields` is the row's
 * fields, or any array of their count; undefined for a row with broken quoting.
 */
export function badRowReason(
  chunk: RowChunk,
  r: number,
  fields: string[] | undefined,
  header: string[],
): string | undefined {
  const malformed = chunk.malformed?.get(r);
  if (malformed) return `column "${header[malformed.field] ?? malformed.field + 1}": ${malformed.message}`;
  const width = header.length;
  if (fields && fields.length !== width)
    return `has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${width}`;
  return undefined;
}

const SEED = 0x5eed;

export async function readBoundedRows(file: string, options: BoundedRowsOptions): Promise<BoundedRows> {
  const info = await readHeader(file, options.format);
  const nested = nestedColumns(info);
  const rows: string[][] = [];
  const lines: number[] = [];
  const next = random(SEED);
  let seen = 0;
  let skipped = 0;
  let firstSkipped: BoundedRows['firstSkipped'];
  const source = readRows(file, info, { malformedRows: 'mark' });
  try {
    reading: for await (const chunk of source) {
      for (let r = 0; r < chunk.count; r++) {
        const keepIt =
          options.pick === 'first'
            ? seen < options.limit
            : seen < options.limit || Math.floor(next() * (seen + 1)) < options.limit;
        if (!keepIt && options.stopAtLimit && options.pick === 'first') break reading;
        // Fields are split only for rows that may be kept: counting the rest costs no strings.
        const fields = keepIt && !chunk.malformed?.has(r) ? rowFields(chunk, r) : undefined;
        const reason = badRowReason(chunk, r, fields ?? (keepIt ? undefined : fieldCountOnly(chunk, r)), info.header);
        if (reason) {
          if (options.badRows === 'refuse') {
            throw badRow(file, chunk.lines[r], reason);
          }
          skipped++;
          firstSkipped ??= { line: chunk.lines[r], reason };
          continue;
        }
        if (keepIt && fields) {
          if (rows.length < options.limit) {
            rows.push(fields);
            lines.push(chunk.lines[r]);
          } else {
            // Algorithm R: row `seen` replaces a random kept row with probability limit / (seen + 1).
            const slot = Math.floor(next() * options.limit);
            rows[slot] = fields;
            lines[slot] = chunk.lines[r];
          }
        }
        seen++;
      }
    }
  } finally {
    await source.return(undefined);
  }
  if (options.pick === 'reservoir') {
    const order = lines.map((_, i) => i).sort((a, b) => lines[a] - lines[b]);
    const sortedRows = order.map((i) => rows[i]);
    const sortedLines = order.map((i) => lines[i]);
    return {
      file,
      header: info.header,
      rows: sortedRows,
      lines: sortedLines,
      totalRows: seen,
      skipped,
      ...(firstSkipped ? { firstSkipped } : {}),
      ...(nested ? { nested } : {}),
    };
  }
  return {
    file,
    header: info.header,
    rows,
    lines,
    totalRows: seen,
    skipped,
    ...(firstSkipped ? { firstSkipped } : {}),
    ...(nested ? { nested } : {}),
  };
}

/**
 * The rows of a whole file in batches of `size`, for a comparison that goes
 * through every row with the memory of one batch (a parity check). At least
 * one batch, empty for a file with only a header.
 */
export async function* rowBatches(
  file: string,
  size: number,
  badRows: 'skip' | 'refuse',
  format?: TableFormat,
): AsyncGenerator<BoundedRows> {
  const info = await readHeader(file, format);
  const nested = nestedColumns(info);
  const empty = (totalRows: number): BoundedRows => ({
    file,
    header: info.header,
    rows: [],
    lines: [],
    totalRows,
    skipped: 0,
    ...(nested ? { nested } : {}),
  });
  let batch = empty(0);
  let yielded = false;
  let seen = 0;
  const source = readRows(file, info, { malformedRows: 'mark' });
  try {
    for await (const chunk of source) {
      for (let r = 0; r < chunk.count; r++) {
        const fields = chunk.malformed?.has(r) ? undefined : rowFields(chunk, r);
        const reason = badRowReason(chunk, r, fields, info.header);
        if (reason) {
          if (badRows === 'refuse') throw badRow(file, chunk.lines[r], reason);
          batch.skipped++;
          batch.firstSkipped ??= { line: chunk.lines[r], reason };
          continue;
        }
        batch.rows.push(fields!);
        batch.lines.push(chunk.lines[r]);
        batch.totalRows = ++seen;
        if (batch.rows.length === size) {
          yield batch;
          yielded = true;
          batch = empty(seen);
        }
      }
    }
  } finally {
    await source.return(undefined);
  }
  if (batch.rows.length > 0 || !yielded) yield batch;
}

/** A bad row that cannot be skipped (rows that pair up by position), as CSV_BAD_ROW naming file:line. */
export function badRow(file: string, line: number, reason: string): MlopsError {
  return new MlopsError('CSV_BAD_ROW', `${file}:${line}: ${reason}`, {
    hint: 'fix or remove that row: its rows pair up with another file by position, so none can be skipped',
  });
}

/** Bad rows skipped in a file, and the first of them for the message. */
export interface SkippedRows {
  file: string;
  skipped: number;
  firstSkipped?: { line: number; reason: string };
}

/**
 * A file whose data rows were all bad: a statistic (or a gate) of nothing is refused, never
 * reported as a pass. CSV_BAD_ROW naming the first bad row.
 */
export function everyRowBad(table: SkippedRows): MlopsError {
  const first = table.firstSkipped!;
  return new MlopsError(
    'CSV_BAD_ROW',
    `${table.file}: every data row is bad (${table.skipped} row${table.skipped === 1 ? '' : 's'}; the first on line ${first.line}: ${first.reason})`,
    { hint: 'fix the rows (quoting, number of fields): there is nothing left to compare' },
  );
}

/** Fields of a row that is only counted: the count matters, not the values (quoted rows were parsed anyway). */
function fieldCountOnly(chunk: RowChunk, r: number): string[] | undefined {
  const record = chunk.records?.get(r);
  if (record) return record;
  if (chunk.malformed?.has(r)) return undefined;
  let commas = 0;
  for (
    let i = chunk.buf.indexOf(0x2c, chunk.starts[r]);
    i >= 0 && i < chunk.ends[r];
    i = chunk.buf.indexOf(0x2c, i + 1)
  )
    commas++;
  return new Array<string>(commas + 1);
}

/** "skipped 3 bad rows (the first on line 7: ...)" for a sample's warning, or undefined when none were. */
export function skippedRowsNote(table: SkippedRows, what: string): string | undefined {
  if (table.skipped === 0) return undefined;
  const first = table.firstSkipped!;
  return `${what} ${table.file}: skipped ${table.skipped} bad row${table.skipped === 1 ? '' : 's'} (the first on line ${first.line}: ${first.reason})`;
}

/** The first `limit` well-formed rows of one chunk (rows column kinds are judged on). */
export function chunkRows(chunk: RowChunk | undefined, limit: number): string[][] {
  const out: string[][] = [];
  for (let r = 0; chunk && r < chunk.count && out.length < limit; r++) {
    if (chunk.malformed?.has(r)) continue;
    out.push(rowFields(chunk, r));
  }
  return out;
}

/**
 * The first `limit` rows of a file with well-formed quoting, for judging column types.
 * A row with broken quoting is passed over, or (malformedRows 'throw') stops the read with its line.
 */
export async function headRows(
  file: string,
  info: Awaited<ReturnType<typeof readHeader>>,
  limit: number,
  malformedRows: 'mark' | 'throw' = 'mark',
): Promise<string[][]> {
  const out: string[][] = [];
  const source = readRows(file, info, { malformedRows });
  try {
    for await (const chunk of source) {
      out.push(...chunkRows(chunk, limit - out.length));
      if (out.length >= limit) break;
    }
  } finally {
    await source.return(undefined);
  }
  return out;
}

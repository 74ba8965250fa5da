/**
 * Streaming CSV rows in batches, with a fast path for plain files.
 *
 * Plain CSV (no quote characters) is split with indexOf on decoded chunks:
 * about 3x faster than csv-parse, which the note measured at 8.1 s for a
 * 1M x 31 file against pandas' 3.3 s. The first chunk holding a `"` hands
 * the rest of the input, from the start of the row it is in, to csv-parse,
 * which handles quoting, embedded newlines and escaped quotes.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { MlopsError } from '../util/errors.js';
import { checkHeader } from './read-csv-table.js';

/**
 * A batch of data rows. A plain row (no quotes) stays one string, split by
 * the consumer as it parses (no per-field strings for numeric columns); a
 * row csv-parse read arrives as its fields.
 */
export interface RowBatch {
  count: number;
  rows: Array<string | string[]>;
  /** Line number (1-based, header = line 1) where each row ends. */
  lines: number[];
  /** Bytes of the input consumed so far (for progress). */
  bytesRead: number;
}

export interface RowReaderOptions {
  batchSize: number;
  /** Byte range of the data rows to read ([start, end)); rows starting before `end` are read whole. */
  range?: { start: number; end: number };
  /** Read size (default 1 MiB). */
  highWaterMark?: number;
  /** The caller checked that no quoted field spans lines (required with a range). */
  noQuotedNewlines?: boolean;
}

export interface CsvHeaderInfo {
  header: string[];
  /** Byte offset of the first data row. */
  dataStart: number;
  /** Whether the file starts with a UTF-8 BOM. */
  bom: boolean;
}

/** Read and validate the header row (the first line) without reading the whole file. */
export async function readHeader(file: string): Promise<CsvHeaderInfo> {
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  let buffered = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      buffered = Buffer.concat([buffered, chunk as Buffer]);
      if (buffered.includes(0x0a) || buffered.length > 16 * 1024 * 1024) break;
    }
  } catch (err) {
    throw fileError(file, err);
  } finally {
    stream.destroy();
  }
  if (buffered.length === 0) throw new MlopsError('CSV_EMPTY', `${file} is empty: expected a header row`, { hint: 'the first line names the columns' });
  const bom = buffered[0] === 0xef && buffered[1] === 0xbb && buffered[2] === 0xbf;
  const newline = buffered.indexOf(0x0a);
  const end = newline < 0 ? buffered.length : newline;
  let line = buffered.subarray(bom ? 3 : 0, end).toString('utf8');
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line.includes('"')) {
    // A quoted header: let csv-parse split it (it may span lines; rare enough to parse the start of the file).
    const records = await new Promise<string[][]>((resolve, reject) => {
      const out: string[][] = [];
      const parser = parse({ bom: true, to_line: 1, relax_column_count: true });
      parser.on('data', (r: string[]) => out.push(r));
      parser.on('end', () => resolve(out));
      parser.on('error', reject);
      parser.end(buffered);
    }).catch((err) => {
      throw new MlopsError('CSV_PARSE_ERROR', `${file}:1: ${(err as Error).message}`);
    });
    const header = records[0] ?? [];
    checkHeader(file, header);
    if (newline < 0) return { header, dataStart: buffered.length, bom };
    return { header, dataStart: newline + 1, bom };
  }
  const header = line.split(',');
  checkHeader(file, header);
  return { header, dataStart: newline < 0 ? buffered.length : newline + 1, bom };
}

export function fileError(file: string, err: unknown): MlopsError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new MlopsError('CSV_NOT_FOUND', `input file ${file} does not exist`, { hint: 'check the path' });
  if (code === 'EISDIR') return new MlopsError('CSV_NOT_FOUND', `${file} is a folder`, { hint: 'pass CSV files, or use --output-dir with a folder of inputs' });
  return new MlopsError('CSV_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`);
}

class BatchBuilder {
  rows: Array<string | string[]> = [];
  lines: number[] = [];

  get count(): number {
    return this.rows.length;
  }

  push(row: string | string[], line: number): void {
    this.rows.push(row);
    this.lines.push(line);
  }

  take(bytesRead: number): RowBatch {
    const batch = { count: this.rows.length, rows: this.rows, lines: this.lines, bytesRead };
    this.rows = [];
    this.lines = [];
    return batch;
  }
}

/**
 * Data rows of `file` in batches of `batchSize`. `headerInfo` comes from readHeader.
 * With a range, reading starts at the first row boundary at or after range.start
 * and stops after the row that contains byte range.end - 1.
 */
export async function* readRows(file: string, headerInfo: CsvHeaderInfo, options: RowReaderOptions): AsyncGenerator<RowBatch> {
  const start = options.range?.start ?? headerInfo.dataStart;
  const end = options.range?.end ?? Infinity;
  const alignToRow = start > headerInfo.dataStart;
  // Starting one byte early tells whether range.start is already a row boundary (that byte is a newline).
  const stream = createReadStream(file, { start: alignToRow ? start - 1 : start, highWaterMark: options.highWaterMark ?? 1 << 20 });
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const decoder = new StringDecoder('utf8');
  const builder = new BatchBuilder();
  let pending = '';
  let skipPartial = alignToRow; // the row that began before our range belongs to the previous shard
  let line = 1; // exact for whole files; for a range, counted from the range start
  let position = alignToRow ? start - 1 : start; // byte offset of pending[0]
  let bytesRead = 0;
  const trackBytes = end !== Infinity || alignToRow;
  const nextChunk = async (): Promise<Buffer | undefined> => {
    try {
      const next = await chunks.next();
      if (next.done) return undefined;
      bytesRead += next.value.length;
      return next.value;
    } catch (err) {
      throw fileError(file, err);
    }
  };
  try {
    for (;;) {
      const chunk = await nextChunk();
      const text = pending + (chunk ? decoder.write(chunk) : decoder.end());
      let pos = 0;
      while (pos < text.length) {
        const newline = text.indexOf('\n', pos);
        if (newline < 0 && chunk) break; // incomplete row: wait for more bytes
        const lineEnd = newline < 0 ? text.length : newline;
        // Byte positions only matter for a range's end; counting them costs a pass over every character.
        const rowBytes = trackBytes ? (newline < 0 ? 0 : 1) + byteLength(text, pos, lineEnd) : 0;
        if (skipPartial) {
          skipPartial = false;
          position += rowBytes;
          pos = lineEnd + 1;
          continue;
        }
        if (position >= end) {
          if (builder.count > 0) yield builder.take(bytesRead);
          return;
        }
        let row = text.slice(pos, lineEnd);
        if (row.includes('"') && options.noQuotedNewlines) {
          // Known not to span lines (checked before sharding): parse just this row.
          line++;
          position += rowBytes;
          builder.push(parseQuotedRow(file, row, line), line);
          if (builder.count === options.batchSize) yield builder.take(bytesRead);
          pos = lineEnd + 1;
          continue;
        }
        if (row.includes('"')) {
          // Quoting from here on: csv-parse reads the rest, starting at this row.
          yield* parseRest(file, text.slice(pos), chunk ? nextChunk : undefined, decoder, builder, line, options.batchSize, () => bytesRead);
          return;
        }
        line++;
        position += rowBytes;
        if (row.endsWith('\r')) row = row.slice(0, -1);
        if (row.length > 0) {
          builder.push(row, line);
          if (builder.count === options.batchSize) yield builder.take(bytesRead);
        }
        pos = lineEnd + 1;
      }
      pending = text.slice(pos);
      if (!chunk) break;
    }
    if (builder.count > 0) yield builder.take(bytesRead);
  } finally {
    stream.destroy();
  }
}

/** UTF-8 byte length of text[from, to) without allocating (ASCII is the common case). */
function byteLength(text: string, from: number, to: number): number {
  let bytes = to - from;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) { bytes += 2; i++; } // surrogate pair: 4 bytes for 2 units
    else bytes += 2;
  }
  return bytes;
}

function parseQuotedRow(file: string, row: string, line: number): string[] {
  try {
    return (parseSync(row, { relax_column_count: true, relax_quotes: false }) as string[][])[0] ?? [''];
  } catch (err) {
    throw new MlopsError('CSV_PARSE_ERROR', `${file}:${line}: ${(err as Error).message}`, { hint: 'fix the quoting on that line' });
  }
}

async function* parseRest(
  file: string,
  first: string,
  nextChunk: (() => Promise<Buffer | undefined>) | undefined,
  decoder: StringDecoder,
  builder: BatchBuilder,
  linesBefore: number,
  batchSize: number,
  bytesRead: () => number,
): AsyncGenerator<RowBatch> {
  async function* text(): AsyncGenerator<string> {
    yield first;
    if (!nextChunk) return;
    for (let chunk = await nextChunk(); chunk; chunk = await nextChunk()) yield decoder.write(chunk);
    yield decoder.end();
  }
  const parser = Readable.from(text()).pipe(parse({ info: true, relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n'] }));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      builder.push(record, linesBefore + info.lines);
      if (builder.count === batchSize) yield builder.take(bytesRead());
    }
  } catch (err) {
    if (err instanceof MlopsError) throw err;
    const e = err as Error & { code?: string; lines?: number };
    throw new MlopsError('CSV_PARSE_ERROR', `${file}:${linesBefore + (e.lines ?? 0)}: ${e.message}`, {
      hint: e.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is never closed; look for a stray " on that line' : 'fix the CSV syntax on that line',
    });
  }
  if (builder.count > 0) yield builder.take(bytesRead());
}

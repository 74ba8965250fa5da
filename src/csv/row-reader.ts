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
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { MlopsError } from '../util/errors.js';
import { checkHeader } from './read-csv-table.js';

/**
 * Rows read from one buffer. A plain row (no quotes) is a byte range of
 * `buf`, parsed in place by the consumer (no strings for numeric fields);
 * a row that needed csv-parse arrives as its fields in `records`.
 */
export interface RowChunk {
  count: number;
  buf: Buffer;
  starts: Int32Array;
  ends: Int32Array;
  /** Rows parsed by csv-parse, by index in this chunk. */
  records: Map<number, string[]> | null;
  /** Line number (1-based, header = line 1) where each row ends. */
  lines: Int32Array;
  /** Bytes of the input consumed so far (for progress). */
  bytesRead: number;
}

export interface RowReaderOptions {
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

const EMPTY = Buffer.alloc(0);

class ChunkBuilder {
  starts: Int32Array;
  ends: Int32Array;
  lines: Int32Array;
  records: Map<number, string[]> | null = null;
  count = 0;
  buf: Buffer = EMPTY;

  constructor(private capacity: number) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.lines = new Int32Array(capacity);
  }

  private grow(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(this.capacity * 2);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts);
    this.ends = grow(this.ends);
    this.lines = grow(this.lines);
    this.capacity *= 2;
  }

  pushRange(start: number, end: number, line: number): void {
    if (this.count === this.capacity) this.grow();
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.lines[this.count++] = line;
  }

  pushRecord(record: string[], line: number): void {
    (this.records ??= new Map()).set(this.count, record);
    this.pushRange(0, 0, line);
  }

  take(bytesRead: number): RowChunk {
    const chunk: RowChunk = {
      count: this.count,
      buf: this.buf,
      starts: this.starts.subarray(0, this.count),
      ends: this.ends.subarray(0, this.count),
      records: this.records,
      lines: this.lines.subarray(0, this.count),
      bytesRead,
    };
    // Fresh arrays: the consumer may still hold the chunk while we fill the next one.
    this.starts = new Int32Array(this.capacity);
    this.ends = new Int32Array(this.capacity);
    this.lines = new Int32Array(this.capacity);
    this.records = null;
    this.count = 0;
    return chunk;
  }
}

/**
 * Data rows of `file`, one chunk per read buffer. `headerInfo` comes from
 * readHeader. With a range, reading starts at the first row boundary at or
 * after range.start and stops after the row that contains byte range.end - 1.
 */
export async function* readRows(file: string, headerInfo: CsvHeaderInfo, options: RowReaderOptions): AsyncGenerator<RowChunk> {
  const start = options.range?.start ?? headerInfo.dataStart;
  const end = options.range?.end ?? Infinity;
  const alignToRow = start > headerInfo.dataStart;
  // Starting one byte early tells whether range.start is already a row boundary (that byte is a newline).
  const first = alignToRow ? start - 1 : start;
  const stream = createReadStream(file, { start: first, highWaterMark: options.highWaterMark ?? 1 << 20 });
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const builder = new ChunkBuilder(4096);
  let carry: Buffer = EMPTY; // a row cut by the end of the previous read
  let carryAt = first; // file offset of carry[0]
  let skipPartial = alignToRow; // the row that began before our range belongs to the previous shard
  let line = 1; // exact for whole files; for a range, counted from the range start
  let bytesRead = 0;
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
      const buf = carry.length === 0 ? chunk ?? EMPTY : chunk ? Buffer.concat([carry, chunk]) : carry;
      const bufAt = carryAt;
      builder.buf = buf;
      const quote = options.noQuotedNewlines ? -1 : buf.indexOf(0x22);
      let pos = 0;
      while (pos < buf.length) {
        let newline = buf.indexOf(0x0a, pos);
        if (newline < 0) {
          if (chunk) break; // incomplete row: wait for more bytes
          newline = buf.length; // the last row has no newline
        }
        if (skipPartial) {
          skipPartial = false;
          pos = newline + 1;
          continue;
        }
        if (bufAt + pos >= end) {
          if (builder.count > 0) yield builder.take(bytesRead);
          return;
        }
        if (quote >= 0 && quote < newline) {
          // Quoting from this row on: csv-parse reads the rest of the input.
          if (builder.count > 0) yield builder.take(bytesRead);
          yield* parseRest(file, buf.subarray(pos), chunk ? nextChunk : undefined, line, () => bytesRead);
          return;
        }
        let rowEnd = newline;
        if (rowEnd > pos && buf[rowEnd - 1] === 0x0d) rowEnd--;
        line++;
        if (rowEnd > pos) {
          if (options.noQuotedNewlines && buf.indexOf(0x22, pos) >= 0 && buf.indexOf(0x22, pos) < rowEnd) {
            // Known not to span lines (checked before sharding): parse just this row.
            builder.pushRecord(parseQuotedRow(file, buf.toString('utf8', pos, rowEnd), line), line);
          } else {
            builder.pushRange(pos, rowEnd, line);
          }
        }
        pos = newline + 1;
      }
      if (builder.count > 0) yield builder.take(bytesRead);
      if (!chunk) return;
      carry = buf.subarray(pos);
      carryAt = bufAt + pos;
    }
  } finally {
    stream.destroy();
  }
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
  first: Buffer,
  nextChunk: (() => Promise<Buffer | undefined>) | undefined,
  linesBefore: number,
  bytesRead: () => number,
): AsyncGenerator<RowChunk> {
  async function* bytes(): AsyncGenerator<Buffer> {
    yield first;
    if (!nextChunk) return;
    for (let chunk = await nextChunk(); chunk; chunk = await nextChunk()) yield chunk;
  }
  const parser = Readable.from(bytes()).pipe(parse({ info: true, relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n'] }));
  const builder = new ChunkBuilder(1024);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      builder.pushRecord(record, linesBefore + info.lines);
      if (builder.count === 1024) yield builder.take(bytesRead());
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

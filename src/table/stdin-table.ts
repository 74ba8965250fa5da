/**
 * A CSV table read from stdin (`--input -`, as in `aws s3 cp s3://b/x.csv - |
 * mlops ...`). A pipe cannot be reopened, so the header is read from the
 * stream and the rows go on with the same bytes; memory stays at one read
 * buffer and the row being cut, as for a file. Parquet keeps its schema in a
 * footer at the end of the file, so it cannot be read from a pipe at all.
 */
import type { Readable } from 'node:stream';
import { MlopsError } from '../util/errors.js';
import { type CsvHeaderInfo, type RowChunk, type RowReaderOptions, readRows, scanHeader } from './row-reader.js';
import type { TableFormat } from './table-format.js';

/** The name by which the command line means stdin. */
export const STDIN = '-';

export interface StreamTable {
  headerInfo: CsvHeaderInfo;
  /** The data rows; closing it (rows.return()) stops reading the stream. */
  rows: AsyncGenerator<RowChunk>;
}

/** Pipes hand over 64 KiB at a time; rows are cut from ~1 MiB, as from a file, so each chunk carries enough rows. */
const READ_BYTES = 1 << 20;

export function parquetNotSeekable(name = STDIN): MlopsError {
  return new MlopsError(
    'PARQUET_NOT_SEEKABLE',
    `${name === STDIN ? 'stdin' : name} holds Parquet, which cannot be read from a pipe: its schema and row groups are in a footer at the end of the file`,
    {
      hint: 'save it to a file first (e.g. aws s3 cp s3://bucket/x.parquet x.parquet) and pass that; CSV can be piped',
    },
  );
}

/**
 * Open `stream` as a CSV table: header now, rows as they arrive. `format`
 * 'parquet' (from --input-format), or a stream starting with PAR1, is refused.
 */
export async function openStreamTable(
  stream: Readable,
  options: {
    name?: string;
    format?: TableFormat;
    /** Bytes gathered per read (default 1 MiB; tests make it tiny so rows cross reads). */
    readBytes?: number;
  } & Pick<RowReaderOptions, 'malformedRows'> = {},
): Promise<StreamTable> {
  const name = options.name ?? STDIN;
  if (options.format === 'parquet') throw parquetNotSeekable(name);
  // Nothing piped in: reading would wait for the user to type a CSV.
  if ((stream as { isTTY?: boolean }).isTTY)
    throw new MlopsError('CSV_NOT_A_FILE', `${name === STDIN ? 'stdin' : name} is a terminal, not data piped in`, {
      hint: 'pipe the CSV in (aws s3 cp s3://bucket/x.csv - | mlops ...), or pass a file instead of -',
    });
  const source = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // At least 4 bytes in the first read, for the PAR1 check.
  const chunks = coalesce(source, Math.max(4, options.readBytes ?? READ_BYTES));
  // The first bytes decide whether it is Parquet, before the CSV checks call it binary.
  const first = await chunks.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  if (head.length >= 4 && head.subarray(0, 4).toString('latin1') === 'PAR1') {
    await chunks.return?.();
    throw parquetNotSeekable(name);
  }
  let replayed = false;
  const replay: AsyncIterator<Buffer> = {
    next: async () => {
      if (replayed) return chunks.next();
      replayed = true;
      return first;
    },
    return: async () => (await chunks.return?.()) ?? { done: true, value: undefined },
  };
  try {
    const { info, rest } = await scanHeader(name, replay);
    const rows = readRows(name, info, { malformedRows: options.malformedRows, stream: { chunks: replay, head: rest } });
    // A generator closed before its first row never runs its finally: close the stream here too.
    const close = rows.return.bind(rows);
    rows.return = async (value) => {
      try {
        return await close(value);
      } finally {
        await replay.return?.();
      }
    };
    return { headerInfo: info, rows };
  } catch (err) {
    await replay.return?.();
    throw err;
  }
}

/** Reads of at least `bytes` (the last may be shorter). */
function coalesce(source: AsyncIterator<Buffer>, bytes: number): AsyncIterator<Buffer> {
  return {
    async next(): Promise<IteratorResult<Buffer>> {
      const parts: Buffer[] = [];
      let length = 0;
      while (length < bytes) {
        const next = await source.next();
        if (next.done) break;
        const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        parts.push(chunk);
        length += chunk.length;
      }
      if (length === 0) return { done: true, value: undefined };
      return { done: false, value: parts.length === 1 ? parts[0] : Buffer.concat(parts, length) };
    },
    return: async () => (await source.return?.()) ?? { done: true, value: undefined },
  };
}

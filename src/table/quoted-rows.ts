/**
 * Rows with a quote character: where such a row ends (a quoted value may
 * hold newlines), and their fields through csv-parse, a run of consecutive
 * ones per call. Plain rows never come here (row-reader.ts splits them).
 */
import { parse as parseSync } from 'csv-parse/sync';
import { MlopsError } from '../util/errors.js';
import { opensQuotedValue } from './quote-rule.js';

/** A row with broken quoting on one line: set aside like any bad row instead of stopping the read. */
export interface MalformedRow {
  /** 0-based field where csv-parse gave up. */
  field: number;
  message: string;
  /** The row as it is in the file. */
  text: string;
}

/** Where a run's parsed rows go: the reader's chunk under construction. */
export interface QuotedRowSink {
  readonly buf: Buffer;
  pushRecord(record: string[], line: number): void;
  pushMalformed(row: MalformedRow, line: number): void;
}

/**
 * Where the row starting at `pos` ends: the first newline outside quotes
 * (`""` toggles twice; a quote opens only at the start of a field), and how
 * many newlines lie inside its quotes.
 * end = -1 when the buffer ends first.
 */
export function quotedRowEnd(buf: Buffer, pos: number): { end: number; newlines: number } {
  let newlines = 0;
  let i = pos;
  // The next newline, found once and moved only past quoted ones: no rescanning per field.
  let n = buf.indexOf(0x0a, i);
  for (;;) {
    const q = buf.indexOf(0x22, i);
    if (n >= 0 && (q < 0 || n < q)) return { end: n, newlines };
    if (q < 0) return { end: -1, newlines };
    // A stray quote inside a value (5'10") opens nothing; csv-parse reports it for this row.
    if (!opensQuotedValue(q > pos ? buf[q - 1] : -1)) {
      i = q + 1;
      continue;
    }
    const close = buf.indexOf(0x22, q + 1);
    if (close < 0) return { end: -1, newlines };
    while (n >= 0 && n < close) {
      newlines++;
      n = buf.indexOf(0x0a, n + 1);
    }
    i = close + 1;
  }
}

const QUOTED_OPTIONS = { relax_column_count: true, record_delimiter: ['\r\n', '\n'] };

/** Consecutive quoted rows of one buffer, parsed by csv-parse together when a plain row (or the buffer end) follows. */
export class QuotedRun {
  private starts: number[] = [];
  private ends: number[] = [];
  private lines: number[] = [];

  constructor(
    private readonly file: string,
    private readonly builder: QuotedRowSink,
    private readonly malformedRows: 'throw' | 'mark',
  ) {}

  add(start: number, end: number, line: number): void {
    this.starts.push(start);
    this.ends.push(end);
    this.lines.push(line);
  }

  flush(): void {
    const n = this.starts.length;
    if (n === 0) return;
    const buf = this.builder.buf;
    let records: string[][] | undefined;
    try {
      records = parseSync(buf.toString('utf8', this.starts[0], this.ends[n - 1]), QUOTED_OPTIONS) as string[][];
    } catch {
      records = undefined; // find the row at fault below
    }
    if (records && records.length === n) {
      for (let i = 0; i < n; i++) this.builder.pushRecord(records[i], this.lines[i]);
    } else {
      // Row by row, to find the row at fault (and, when marking, keep the others).
      for (let i = 0; i < n; i++) {
        const text = buf.toString('utf8', this.starts[i], this.ends[i]);
        const parsed =
          this.malformedRows === 'mark'
            ? tryParseQuotedRow(this.file, text, this.lines[i])
            : parseQuotedRow(this.file, text, this.lines[i]);
        if (Array.isArray(parsed)) this.builder.pushRecord(parsed, this.lines[i]);
        else this.builder.pushMalformed(parsed, this.lines[i]);
      }
    }
    this.starts = [];
    this.ends = [];
    this.lines = [];
  }
}

/** A row's fields, or what is wrong with its quoting; a quote never closed still throws (it swallowed the rest of the file). */
function tryParseQuotedRow(file: string, row: string, line: number): string[] | MalformedRow {
  try {
    return (parseSync(row, QUOTED_OPTIONS) as string[][])[0] ?? [''];
  } catch (err) {
    const e = err as Error & { code?: string; index?: number };
    if (e.code === 'CSV_QUOTE_NOT_CLOSED' || typeof e.index !== 'number') return parseQuotedRow(file, row, line);
    const message =
      e.code === 'CSV_INVALID_CLOSING_QUOTE'
        ? `a quoted value is followed by ${/got "(.)"/.exec(e.message)?.[0].slice(4) ?? 'text'} instead of a comma`
        : e.code === 'INVALID_OPENING_QUOTE'
          ? 'a quote inside an unquoted value'
          : e.message.replace(/ at line \d+/, '');
    return {
      field: e.index,
      message: `${message} (a value with quotes must be enclosed in quotes, its own quotes doubled)`,
      text: row,
    };
  }
}

export function parseQuotedRow(file: string, row: string, line: number): string[] {
  try {
    return (parseSync(row, QUOTED_OPTIONS) as string[][])[0] ?? [''];
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number };
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
      // csv-parse counts lines within the row it was given; the row starts on `line`.
      throw new MlopsError(
        'CSV_PARSE_ERROR',
        `${file}:${line}: Quote Not Closed: a quoted field opened on this line is never closed`,
        { hint: 'look for a stray " on that line, or a missing closing quote' },
      );
    }
    throw new MlopsError(
      'CSV_PARSE_ERROR',
      `${file}:${line + Math.max(0, (e.lines ?? 1) - 1)}: ${e.message.replace(/ at line \d+/, '')}`,
      { hint: 'fix the quoting on that line' },
    );
  }
}

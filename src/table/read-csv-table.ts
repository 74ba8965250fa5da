/**
 * Whole-file CSV reading for small tables (parity data, expected outputs),
 * with errors that name the file and line. Big files go through the
 * streaming reader instead.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { MlopsError } from '../util/errors.js';
import { maxRowBytes, rowTooLong } from './row-limit.js';
import { checkCsvHead } from './csv-head.js';

export interface CsvTable {
  file: string;
  header: string[];
  rows: string[][];
  /** Line number (1-based, counting the header) where each row ends. */
  lines: number[];
}

export function checkHeader(file: string, header: string[]): void {
  // One column whose name holds ; or a tab: almost surely another delimiter (Excel in many locales writes ;).
  const other = header.length === 1 ? [';', '\t', '|'].find((d) => header[0].split(d).length > 2) : undefined;
  if (other) {
    const name = other === '\t' ? 'tab' : `"${other}"`;
    throw new MlopsError('CSV_DELIMITER', `${file}:1: the header is one column, "${header[0].slice(0, 60)}${header[0].length > 60 ? '...' : ''}": the file looks ${name}-separated, and mlops reads comma-separated CSV`, {
      hint: `convert it first, e.g. python3 -c "import pandas as pd; pd.read_csv('${file}', sep='${other === '\t' ? '\\t' : other}').to_csv('out.csv', index=False)"`,
    });
  }
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name.trim() === '') {
      throw new MlopsError('CSV_BAD_HEADER', `${file}:1: column ${i + 1} has an empty name`, {
        hint: i === 0
          ? "every column needs a name; an unnamed first column is usually a pandas index: write with df.to_csv(path, index=False), or name it with index_label='id'"
          : 'every column needs a name in the header row',
      });
    }
    if (seen.has(name)) {
      throw new MlopsError('CSV_BAD_HEADER', `${file}:1: column name "${name}" appears more than once`, { hint: 'rename the duplicate column' });
    }
    seen.add(name);
  });
}

/**
 * The file's bytes, refused as soon as a line passes the row limit (a 300 MB
 * one-line file is not read whole), and refused at the first read when it is
 * binary rather than text.
 */
async function readWithinRowLimit(file: string): Promise<Buffer> {
  const limit = maxRowBytes();
  const parts: Buffer[] = [];
  let line = 1;
  let sinceNewline = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (parts.length === 0) checkCsvHead(file, chunk);
    parts.push(chunk);
    let at = chunk.indexOf(0x0a);
    if (at < 0) sinceNewline += chunk.length;
    else {
      if (sinceNewline + at > limit) throw rowTooLong(file, line, limit);
      for (let next = chunk.indexOf(0x0a, at + 1); next >= 0; at = next, next = chunk.indexOf(0x0a, at + 1)) {
        line++;
        if (next - at - 1 > limit) throw rowTooLong(file, line, limit);
      }
      line++;
      sinceNewline = chunk.length - at - 1;
    }
    if (sinceNewline > limit) throw rowTooLong(file, line, limit);
  }
  return Buffer.concat(parts);
}

export async function readCsvTable(file: string): Promise<CsvTable> {
  let bytes: Buffer;
  try {
    bytes = await readWithinRowLimit(file);
  } catch (err) {
    if (err instanceof MlopsError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new MlopsError('CSV_NOT_FOUND', code === 'ENOENT' ? `CSV file ${file} does not exist` : code === 'EISDIR' ? `${file} is a folder, not a CSV file` : `cannot read CSV file ${file} (${code})`, { hint: 'check the path' });
  }
  const text = bytes.toString('utf8');
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, max_record_size: maxRowBytes() }) as unknown as typeof records;
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number };
    if (e.code === 'CSV_MAX_RECORD_SIZE') throw rowTooLong(file, e.lines ?? 1, maxRowBytes());
    throw new MlopsError('CSV_PARSE_ERROR', `${file}:${e.lines ?? '?'}: ${e.message}`, {
      hint: e.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is never closed; look for a stray " on that line' : 'every row needs as many fields as the header',
    });
  }
  if (records.length === 0) throw new MlopsError('CSV_EMPTY', `${file} is empty: expected a header row`);
  const header = records[0].record;
  checkHeader(file, header);
  return { file, header, rows: records.slice(1).map((r) => r.record), lines: records.slice(1).map((r) => r.info.lines) };
}

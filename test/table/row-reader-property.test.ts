/**
 * The streaming reader against csv-parse as the oracle: random RFC 4180 files
 * (quotes, embedded commas, newlines and doubled quotes, CRLF, BOM, multibyte
 * UTF-8), read with tiny read buffers so that every row, field and quote
 * crosses a buffer boundary somewhere, must give exactly csv-parse's rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readHeader, readRows } from '../../src/table/row-reader.js';
import { tempDir } from '../helpers.js';
// mulberry32: deterministic, so a failure names a seed that reproduces it.
import { random } from '../../src/util/random.js';

const PIECES = ['a', 'b', '7', '-1.5', '3e4', ' ', 'é', 'ß', '日本', '🙂', 'x y'];
const QUOTED_ONLY = [',', '"', '\n', '\r\n'];

function field(next: () => number): string {
  const n = Math.floor(next() * 4);
  let text = '';
  for (let i = 0; i < n; i++) text += PIECES[Math.floor(next() * PIECES.length)];
  // Some fields need quotes (they hold a comma, a quote or a line break); others are quoted anyway.
  const special = next() < 0.25 ? QUOTED_ONLY[Math.floor(next() * QUOTED_ONLY.length)] : '';
  if (special) text = text.slice(0, 1) + special + text.slice(1);
  if (special || next() < 0.15) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

function csvFile(next: () => number): string {
  const columns = 1 + Math.floor(next() * 4);
  const eol = next() < 0.5 ? '\n' : '\r\n';
  const header = Array.from({ length: columns }, (_, i) => (next() < 0.2 ? `"col ${i}"` : `c${i}`));
  const rows = Array.from({ length: 1 + Math.floor(next() * 25) }, () =>
    Array.from({ length: columns }, () => field(next)).join(','),
  );
  const bom = next() < 0.2 ? '\ufeff' : '';
  const last = next() < 0.7 ? eol : '';
  return bom + [header.join(','), ...rows].join(eol) + last;
}

/** What the reader hands over, as field lists: plain rows are byte ranges, split here as predict-batch does. */
async function readAll(file: string, highWaterMark: number): Promise<string[][]> {
  const header = await readHeader(file);
  const rows: string[][] = [];
  for await (const chunk of readRows(file, header, { highWaterMark })) {
    for (let i = 0; i < chunk.count; i++) {
      const record = chunk.records?.get(i);
      rows.push(record ?? chunk.buf.toString('utf8', chunk.starts[i], chunk.ends[i]).split(','));
    }
  }
  return [header.header, ...rows];
}

test("the streaming reader gives csv-parse's rows on random RFC 4180 files, at read buffers of 1 to 64 bytes", async () => {
  const dir = tempDir('mlops-prop-');
  const file = path.join(dir, 'random.csv');
  for (let seed = 1; seed <= 150; seed++) {
    const next = random(seed);
    const text = csvFile(next);
    writeFileSync(file, text);
    // Rows that are all empty are skipped by both (a blank line is no row).
    const expected = parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n'],
    }) as string[][];
    for (const highWaterMark of [1, 2, 3, 7, 64]) {
      const actual = await readAll(file, highWaterMark);
      assert.deepEqual(actual, expected, `seed ${seed}, read buffer ${highWaterMark} bytes:\n${JSON.stringify(text)}`);
    }
  }
});

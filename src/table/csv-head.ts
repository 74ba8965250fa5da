/**
 * What a file handed over as CSV must start like.
 *
 * Lines must end in \n or \r\n. A file whose lines end in a lone \r (classic
 * Mac, some Excel exports) reads as one huge header in one reader and as 40
 * rows in another: refuse it the same way everywhere.
 */
import { MlopsError } from '../util/errors.js';
import { describeBinary } from './binary-sniff.js';

/** The first bytes of a file read as CSV: text, with \n or \r\n line endings (both readers check the same way). */
export function checkCsvHead(file: string, head: Uint8Array): void {
  const binary = describeBinary(head);
  if (binary)
    throw new MlopsError('CSV_NOT_TEXT', `${file} is not a CSV file: it holds ${binary}`, {
      hint: 'pass a comma-separated text file with a header row',
    });
  checkLineEndings(file, head);
}

/** `head`: the file's first bytes. Throws when its first line break is a lone \r. */
export function checkLineEndings(file: string, head: Uint8Array): void {
  const cr = head.indexOf(0x0d);
  if (cr < 0) return;
  const lf = head.indexOf(0x0a);
  if (lf >= 0 && lf < cr) return; // \n comes first: a \r later is data (or a CRLF)
  if (cr + 1 < head.length ? head[cr + 1] === 0x0a : lf >= 0) return; // \r\n
  if (cr + 1 >= head.length) return; // \r is the last byte read: cannot tell yet
  throw new MlopsError(
    'CSV_LINE_ENDINGS',
    `${file}: lines end in a lone carriage return (\\r), as old Mac and some Excel exports write them; mlops reads \\n or \\r\\n line endings`,
    {
      hint: `convert it first: tr '\\r' '\\n' < ${file} > fixed.csv`,
    },
  );
}

/** The header row: names every column, each once, and is not one column of another delimiter. */
export function checkHeader(file: string, header: string[]): void {
  // One column whose name holds ; or a tab: almost surely another delimiter (Excel in many locales writes ;).
  const other = header.length === 1 ? [';', '\t', '|'].find((d) => header[0].split(d).length > 2) : undefined;
  if (other) {
    const name = other === '\t' ? 'tab' : `"${other}"`;
    throw new MlopsError(
      'CSV_DELIMITER',
      `${file}:1: the header is one column, "${header[0].slice(0, 60)}${header[0].length > 60 ? '...' : ''}": the file looks ${name}-separated, and mlops reads comma-separated CSV`,
      {
        hint: `convert it first, e.g. python3 -c "import pandas as pd; pd.read_csv('${file}', sep='${other === '\t' ? '\\t' : other}').to_csv('out.csv', index=False)"`,
      },
    );
  }
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name.trim() === '') {
      throw new MlopsError('CSV_BAD_HEADER', `${file}:1: column ${i + 1} has an empty name`, {
        hint:
          i === 0
            ? "every column needs a name; an unnamed first column is usually a pandas index: write with df.to_csv(path, index=False), or name it with index_label='id'"
            : 'every column needs a name in the header row',
      });
    }
    if (seen.has(name)) {
      throw new MlopsError('CSV_BAD_HEADER', `${file}:1: column name "${name}" appears more than once`, {
        hint: 'rename the duplicate column',
      });
    }
    seen.add(name);
  });
}

/**
 * The split of rows with "" escapes, quoted commas and line breaks, straight
 * from the bytes: csv-parse's fields for well-formed rows; null (csv-parse's
 * path, for its message) for every kind of broken quoting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { splitQuotedRow } from '../../src/table/quoted-fields.js';

const split = (row: string) => splitQuotedRow(Buffer.from(`junk\n${row}\nmore`), 5, 5 + Buffer.byteLength(row));

test("well-formed quoted rows split into csv-parse's fields", () => {
  const rows = [
    '"a""b","c,d",1',
    '"",x,""',
    '"say ""hi""",',
    '"two\nlines","cr\rinside","crlf\r\ninside"',
    '"日,本","🙂""",é',
    '""""',
    '""',
    'plain,"q"',
    '"trailing",',
  ];
  for (const row of rows) {
    const expected = (parse(row, { relax_column_count: true, record_delimiter: ['\r\n', '\n'] }) as string[][])[0];
    assert.deepEqual(split(row), expected, JSON.stringify(row));
  }
});

test('broken quoting is left to csv-parse', () => {
  for (const row of ['"a"b,1', '"a" ,1', ' "a",1', 'x"y,1', '"never closed', '"a""', '"a",b"c']) {
    assert.equal(split(row), null, JSON.stringify(row));
    assert.throws(
      () => parse(row, { relax_column_count: true, record_delimiter: ['\r\n', '\n'] }),
      JSON.stringify(row),
    );
  }
  // Not broken, but a bare carriage return outside quotes is rare enough to leave to csv-parse as well.
  assert.equal(split('a\rb,"c"'), null);
});

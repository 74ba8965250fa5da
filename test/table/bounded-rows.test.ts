import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers.js';
import { readBoundedRows, rowBatches, headRows } from '../../src/table/bounded-rows.js';
import { readHeader } from '../../src/table/row-reader.js';

function csv(dir: string, name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const STRAY_QUOTE = 'name,n\nann,1\nbob 5\'10",1\ncid,3,extra\ndee,4\n';

test('a bad row (stray quote, wrong field count) is skipped and counted in a sample, refused with file:line where rows pair up', async () => {
  const dir = tempDir('mlops-bounded-');
  const file = csv(dir, 'people.csv', STRAY_QUOTE);
  const sample = await readBoundedRows(file, { limit: 10, pick: 'first', badRows: 'skip' });
  assert.deepEqual(sample.rows, [
    ['ann', '1'],
    ['dee', '4'],
  ]);
  assert.deepEqual(sample.lines, [2, 5]);
  assert.equal(sample.skipped, 2);
  assert.equal(sample.firstSkipped?.line, 3);
  await assert.rejects(
    readBoundedRows(file, { limit: 10, pick: 'first', badRows: 'refuse' }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CSV_BAD_ROW');
      assert.match(err.message, /people\.csv:3: column "name": a quote inside an unquoted value/);
      return true;
    },
  );
  const batches = rowBatches(file, 1, 'refuse');
  assert.deepEqual((await batches.next()).value?.rows, [['ann', '1']]);
  await assert.rejects(batches.next(), { code: 'CSV_BAD_ROW', message: /people\.csv:3:/ });
});

test('BOM, CRLF, quoted commas and line breaks read the same as plain rows', async () => {
  const dir = tempDir('mlops-bounded-');
  const file = csv(
    dir,
    'mixed.csv',
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\r\n1,"x, y"\r\n2,"two\r\nlines"\r\n3,z\r\n')]),
  );
  const t = await readBoundedRows(file, { limit: 10, pick: 'first', badRows: 'refuse' });
  assert.deepEqual(t.header, ['a', 'b']);
  assert.deepEqual(t.rows, [
    ['1', 'x, y'],
    ['2', 'two\r\nlines'],
    ['3', 'z'],
  ]);
  assert.deepEqual(t.lines, [2, 3, 5]);
});

test('first rows stop early or count the rest; a reservoir sample spans the whole file, in file order, the same every run', async () => {
  const dir = tempDir('mlops-bounded-');
  const file = csv(dir, 'n.csv', 'i\n' + Array.from({ length: 10_000 }, (_, i) => String(i)).join('\n') + '\n');
  const first = await readBoundedRows(file, { limit: 5, pick: 'first', badRows: 'skip' });
  assert.deepEqual(first.rows.flat(), ['0', '1', '2', '3', '4']);
  assert.equal(first.totalRows, 10_000);
  const stopped = await readBoundedRows(file, { limit: 5, pick: 'first', badRows: 'skip', stopAtLimit: true });
  assert.deepEqual(stopped.rows.flat(), ['0', '1', '2', '3', '4']);
  const sample = await readBoundedRows(file, { limit: 100, pick: 'reservoir', badRows: 'skip' });
  const values = sample.rows.map((r) => Number(r[0]));
  assert.equal(values.length, 100);
  assert.equal(sample.totalRows, 10_000);
  assert.deepEqual(
    values,
    [...values].sort((a, b) => a - b),
    'kept in file order',
  );
  assert.ok(values[0] < 1000 && values[99] > 9000, `spread over the file: ${values[0]}..${values[99]}`);
  const quartiles = [0, 1, 2, 3].map((q) => values.filter((v) => Math.floor(v / 2500) === q).length);
  assert.ok(
    quartiles.every((n) => n >= 10),
    `about a quarter in each quarter of the file: ${quartiles}`,
  );
  const again = await readBoundedRows(file, { limit: 100, pick: 'reservoir', badRows: 'skip' });
  assert.deepEqual(again.rows, sample.rows);
  const small = await readBoundedRows(file, { limit: 20_000, pick: 'reservoir', badRows: 'skip' });
  assert.equal(small.rows.length, 10_000, 'a file smaller than the sample is taken whole');
});

test('batches cover every row once, in order, with at least one (empty) batch for a header-only file', async () => {
  const dir = tempDir('mlops-bounded-');
  const file = csv(dir, 'n.csv', 'i\n' + Array.from({ length: 25 }, (_, i) => String(i)).join('\n') + '\n');
  const sizes: number[] = [];
  const seen: string[] = [];
  for await (const b of rowBatches(file, 10, 'refuse')) {
    sizes.push(b.rows.length);
    seen.push(...b.rows.flat());
  }
  assert.deepEqual(sizes, [10, 10, 5]);
  assert.deepEqual(
    seen,
    Array.from({ length: 25 }, (_, i) => String(i)),
  );
  const empty = csv(dir, 'empty.csv', 'a,b\n');
  const batches = [];
  for await (const b of rowBatches(empty, 10, 'refuse')) batches.push(b.rows.length);
  assert.deepEqual(batches, [0]);
});

test('headRows (the rows column kinds are judged on) passes over broken quoting, or stops on it when asked', async () => {
  const dir = tempDir('mlops-bounded-');
  const file = csv(dir, 'people.csv', STRAY_QUOTE);
  const info = await readHeader(file);
  assert.deepEqual(await headRows(file, info, 2), [
    ['ann', '1'],
    ['cid', '3', 'extra'],
  ]);
  await assert.rejects(headRows(file, info, 2, 'throw'), { code: 'CSV_PARSE_ERROR', message: /people\.csv:3:/ });
});

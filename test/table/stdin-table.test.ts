/**
 * A CSV read from a stream (stdin) gives the same header and rows as the same
 * bytes read from a file, however the stream cuts them; Parquet on a stream is
 * refused; and memory stays bounded on a stream far larger than the heap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { readHeader, readRows, type RowChunk } from '../../src/table/row-reader.js';
import { openStreamTable } from '../../src/table/stdin-table.js';
import { random } from '../../src/util/random.js';
import { MlopsError } from '../../src/util/errors.js';
import { ROOT, fixture, tempDir } from '../helpers.js';

async function fields(rows: AsyncGenerator<RowChunk>): Promise<Array<{ line: number; fields: string[] }>> {
  const out: Array<{ line: number; fields: string[] }> = [];
  for await (const chunk of rows) {
    for (let i = 0; i < chunk.count; i++) {
      const malformed = chunk.malformed?.get(i);
      const record = chunk.records?.get(i) ?? (malformed ? [`malformed: ${malformed.text}`] : undefined);
      out.push({
        line: chunk.lines[i],
        fields: record ?? chunk.buf.toString('utf8', chunk.starts[i], chunk.ends[i]).split(','),
      });
    }
  }
  return out;
}

/** `bytes` cut into pieces of 1 to `max` bytes, as a pipe might hand them over. */
function pieces(bytes: Buffer, next: () => number, max: number): Readable {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(next() * max);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return Readable.from(out);
}

const TABLES = [
  fixture('data', 'mlp.csv'),
  fixture('data', 'iris.csv'),
  fixture('data', 'flags.csv'),
  fixture('data', 'drift', 'reference.csv'),
];

test('a stream cut anywhere gives the header, rows and line numbers of the same file', async () => {
  const dir = tempDir('mlops-stdin-');
  // Quoted fields with commas, quotes and line breaks, CRLF, a BOM and no final newline, besides the fixtures.
  const quoted = path.join(dir, 'quoted.csv');
  writeFileSync(
    quoted,
    '\ufeffid,"note, long",x\r\n1,"a ""b""\r\nc",2.5\r\n2,plain,3\r\n3,"multi\nline\nfield",\r\n4,é日本,-1e3',
  );
  const next = random(15);
  for (const file of [...TABLES, quoted]) {
    const header = await readHeader(file);
    const expected = await fields(readRows(file, header, { malformedRows: 'mark' }));
    const bytes = readFileSync(file);
    for (const [max, readBytes] of [
      [1, 1],
      [7, 16],
      [64, 100],
      [65536, 1 << 20],
    ]) {
      const table = await openStreamTable(pieces(bytes, next, max), {
        name: 'stdin',
        readBytes,
        malformedRows: 'mark',
      });
      assert.deepEqual(table.headerInfo.header, header.header, `${file} in pieces of up to ${max}`);
      assert.equal(table.headerInfo.headerLines, header.headerLines);
      assert.deepEqual(await fields(table.rows), expected, `${file} in pieces of up to ${max}`);
    }
  }
});

test('a row error on a stream names stdin and the line, as for a file', async () => {
  const stream = Readable.from([Buffer.from('a,b\n1,2\n3,"4\n')]);
  const table = await openStreamTable(stream, { name: 'stdin' });
  await assert.rejects(
    fields(table.rows),
    (err: MlopsError) => err instanceof MlopsError && /^stdin:3: /.test(err.message),
  );
});

test('an empty stream is CSV_EMPTY; a header alone gives no rows', async () => {
  await assert.rejects(openStreamTable(Readable.from([]), { name: 'stdin' }), { code: 'CSV_EMPTY' });
  const table = await openStreamTable(Readable.from([Buffer.from('a,b\n')]), { name: 'stdin' });
  assert.deepEqual(table.headerInfo.header, ['a', 'b']);
  assert.deepEqual(await fields(table.rows), []);
});

test('Parquet on a stream, by its first bytes or by format, is PARQUET_NOT_SEEKABLE with a hint', async () => {
  for (const stream of [
    Readable.from([Buffer.from('PAR1'), Buffer.from('\x15\x00rest of a parquet file')]),
    Readable.from([Buffer.from('PA'), Buffer.from('R1xyz')]),
  ]) {
    await assert.rejects(openStreamTable(stream, { name: 'stdin' }), (err: MlopsError) => {
      assert.equal(err.code, 'PARQUET_NOT_SEEKABLE');
      assert.match(err.message, /^stdin holds Parquet, which cannot be read from a pipe/);
      assert.match(err.hint ?? '', /save it to a file first/);
      return true;
    });
  }
  await assert.rejects(openStreamTable(Readable.from([Buffer.from('a,b\n1,2\n')]), { format: 'parquet' }), {
    code: 'PARQUET_NOT_SEEKABLE',
  });
});

test('a ~50 MB CSV piped on stdin keeps a few MB alive at any time: nothing is spooled', () => {
  const lines: string[] = ['id,f0,f1,f2,f3,f4,f5,f6,f7'];
  for (let r = 0; r < 700_000; r++)
    lines.push(`${r},${Array.from({ length: 8 }, (_, i) => (((r * 7 + i * 13) % 1000) / 7).toFixed(4)).join(',')}`);
  const input = Buffer.from(`${lines.join('\n')}\n`);
  lines.length = 0;
  const module = JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'src', 'table', 'stdin-table.js')).href);
  // Buffers live outside the JavaScript heap and the collector lets garbage pile up before it runs,
  // so neither a heap cap nor RSS tells spooling from garbage: what is alive after a collection does.
  const script = `
    const { openStreamTable } = await import(${module});
    const table = await openStreamTable(process.stdin);
    let count = 0;
    let chunks = 0;
    let alive = 0;
    for await (const chunk of table.rows) {
      count += chunk.count;
      if (++chunks % 5 === 0) {
        // Freed buffers' memory is released by a sweeper after the collection: give it a moment.
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 5));
        globalThis.gc();
        const m = process.memoryUsage();
        alive = Math.max(alive, m.heapUsed + m.arrayBuffers);
      }
    }
    console.log(JSON.stringify({ count, chunks, alive }));
  `;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    input, // through a pipe, as from \`aws s3 cp ... - |\`
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const { count, chunks, alive } = JSON.parse(r.stdout) as { count: number; chunks: number; alive: number };
  assert.equal(count, 700_000);
  assert.ok(chunks > 40, `${chunks} chunks: rows come as the stream is read`);
  assert.ok(
    alive < 12 * 2 ** 20,
    `${(alive / 2 ** 20).toFixed(1)} MB alive for a ${(input.length / 2 ** 20).toFixed(0)} MB input`,
  );
});

test('a terminal on stdin (nothing piped in) is refused rather than waited on', async () => {
  const tty = Object.assign(Readable.from([Buffer.from('a,b\n')]), { isTTY: true });
  await assert.rejects(openStreamTable(tty, { name: 'stdin' }), (err: MlopsError) => {
    assert.equal(err.code, 'CSV_NOT_A_FILE');
    assert.match(err.message, /^stdin is a terminal/);
    return true;
  });
});

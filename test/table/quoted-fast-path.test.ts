/**
 * Quoted fields on the byte-level path: a simply quoted row (pandas'
 * QUOTE_ALL and QUOTE_NONNUMERIC files) is unquoted in place and handed over
 * as a plain byte range; rows with "" escapes, quoted commas or line breaks
 * and broken quoting still go to csv-parse, which stays the oracle: random
 * files in pandas' styles must give exactly its rows at every read size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readHeader, readRows, type RowChunk } from '../../src/table/row-reader.js';
import { fixture, runCli, tempDir } from '../helpers.js';
import { random } from '../../src/util/random.js';

const PLAIN = ['a', '7', '-1.5', '3e4', '0.000001', 'x y', 'é', '日本', '🙂', ''];
// Each needs csv-parse's path: a doubled quote, a quoted comma, line breaks, a carriage return.
const SPECIAL = ['a""b', 'a,b', 'one\ntwo', 'one\r\ntwo', '""', 'x\ry'];

/** A field as pandas writes it: QUOTE_ALL quotes everything, QUOTE_NONNUMERIC everything but numbers. */
function field(next: () => number, style: 'all' | 'nonnumeric'): string {
  const special = next() < 0.08;
  const text = special ? SPECIAL[Math.floor(next() * SPECIAL.length)] : PLAIN[Math.floor(next() * PLAIN.length)];
  if (special) return `"${text}"`; // already escaped as pandas would
  const numeric = text !== '' && !Number.isNaN(Number(text));
  return style === 'nonnumeric' && numeric ? text : `"${text}"`;
}

function pandasFile(next: () => number): string {
  const style = next() < 0.5 ? 'all' : 'nonnumeric';
  const columns = 1 + Math.floor(next() * 5);
  const eol = next() < 0.5 ? '\n' : '\r\n';
  const header = Array.from({ length: columns }, (_, i) => `"c${i}"`);
  const rows = Array.from({ length: 1 + Math.floor(next() * 30) }, () => {
    // Now and then a ragged row or a plain one among the quoted.
    const width = next() < 0.05 ? columns + 1 : columns;
    if (next() < 0.1) return Array.from({ length: width }, () => PLAIN[Math.floor(next() * 4)]).join(',');
    return Array.from({ length: width }, () => field(next, style)).join(',');
  });
  return [header.join(','), ...rows].join(eol) + (next() < 0.7 ? eol : '');
}

async function chunks(file: string, highWaterMark = 1 << 20): Promise<RowChunk[]> {
  const header = await readHeader(file);
  const all: RowChunk[] = [];
  for await (const chunk of readRows(file, header, { highWaterMark })) all.push(chunk);
  return all;
}

/** Fields of every row; plain rows (and unquoted ones) are byte ranges, split as predict-batch does. */
async function readAll(file: string, highWaterMark: number): Promise<string[][]> {
  const rows: string[][] = [(await readHeader(file)).header];
  for (const chunk of await chunks(file, highWaterMark)) {
    for (let i = 0; i < chunk.count; i++) {
      rows.push(chunk.records?.get(i) ?? chunk.buf.toString('utf8', chunk.starts[i], chunk.ends[i]).split(','));
    }
  }
  return rows;
}

test('QUOTE_ALL and QUOTE_NONNUMERIC files read as csv-parse reads them, at read buffers of 1 to 64 KiB bytes', async () => {
  const dir = tempDir('mlops-quoted-');
  const file = path.join(dir, 'pandas.csv');
  for (let seed = 1; seed <= 120; seed++) {
    const text = pandasFile(random(seed));
    writeFileSync(file, text);
    const expected = parse(text, {
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n'],
    });
    for (const highWaterMark of [1, 2, 5, 13, 64, 65536]) {
      const actual = await readAll(file, highWaterMark);
      assert.deepEqual(actual, expected, `seed ${seed}, read buffer ${highWaterMark} bytes:\n${JSON.stringify(text)}`);
    }
  }
});

test('simply quoted rows are byte ranges (no csv-parse); the others keep their lines', async () => {
  const dir = tempDir('mlops-quoted-');
  const file = path.join(dir, 'mixed.csv');
  const lines = [
    '"id","name","x"',
    '"1","ann","0.5"', // line 2: fast
    '"2","",""', // 3: empty quoted fields, fast
    '"3","b, c","1"', // 4: quoted comma: csv-parse
    '"4","say ""hi""","2"', // 5: doubled quotes: csv-parse
    '"5","two\nlines","3"', // 6-7: newline in quotes: csv-parse
    '"6","dee",4', // 8: fast, QUOTE_NONNUMERIC style
    '7,plain,5', // 9: plain
    '"8","crlf","6"\r', // 10: fast, CRLF
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  const [chunk] = await chunks(file);
  assert.equal(chunk.count, 8);
  assert.deepEqual([...chunk.lines], [2, 3, 4, 5, 6, 8, 9, 10]);
  const viaCsvParse = [2, 3, 4];
  for (let r = 0; r < chunk.count; r++) {
    assert.equal(chunk.records?.get(r) !== undefined, viaCsvParse.includes(r), `row ${r}`);
  }
  const bytes = (r: number) => chunk.buf.toString('utf8', chunk.starts[r], chunk.ends[r]);
  assert.equal(bytes(0), '1,ann,0.5');
  assert.equal(bytes(1), '2,,');
  assert.deepEqual(chunk.records?.get(2), ['3', 'b, c', '1']);
  assert.deepEqual(chunk.records?.get(3), ['4', 'say "hi"', '2']);
  assert.deepEqual(chunk.records?.get(4), ['5', 'two\nlines', '3']);
  assert.equal(bytes(5), '6,dee,4');
  assert.equal(bytes(6), '7,plain,5');
  assert.equal(bytes(7), '8,crlf,6');
});

test('broken quoting among simply quoted rows is marked with the same words and the right line', async () => {
  const dir = tempDir('mlops-quoted-');
  const file = path.join(dir, 'broken.csv');
  const lines = [
    '"id","a","b"',
    '"1","x","2"',
    '"2","multi\nline","3"', // lines 3-4
    '"3","bad"x,"4"', // line 5: text after a closing quote
    '"4","y","5"',
    '"5",5\'10","6"', // line 7: a quote inside an unquoted value
    '"6","z","7"',
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  const header = await readHeader(file);
  const malformed: [number, number, string, string][] = [];
  const good: number[] = [];
  for await (const chunk of readRows(file, header, { malformedRows: 'mark' })) {
    for (let r = 0; r < chunk.count; r++) {
      const m = chunk.malformed?.get(r);
      if (m) malformed.push([chunk.lines[r], m.field, m.message, m.text]);
      else good.push(chunk.lines[r]);
    }
  }
  assert.deepEqual(good, [2, 3, 6, 8]);
  const why = '(a value with quotes must be enclosed in quotes, its own quotes doubled)';
  assert.deepEqual(malformed, [
    [5, 1, `a quoted value is followed by "x" instead of a comma ${why}`, '"3","bad"x,"4"'],
    [7, 1, `a quote inside an unquoted value ${why}`, '"5",5\'10","6"'],
  ]);
  // Without 'mark', the read stops at the first, naming its line.
  await assert.rejects(chunks(file), /broken\.csv:5: /);
});

test('a quote never closed still stops the read, on the line where it opened or where it pairs up', async () => {
  const dir = tempDir('mlops-quoted-');
  const file = path.join(dir, 'open.csv');
  writeFileSync(file, '"id","a"\n"1","x"\n"2","never closed\n');
  await assert.rejects(chunks(file), /open\.csv:3: Quote Not Closed/);
  // Closed by the next row's first quote, the field runs on into line 4, where csv-parse gives up.
  writeFileSync(file, '"id","a"\n"1","x"\n"2","never closed\n"3","y"\n');
  await assert.rejects(chunks(file), /open\.csv:4: Invalid Closing Quote: got "3"/);
});

test('predict-batch gives the same bytes on the QUOTE_ALL and QUOTE_NONNUMERIC twins of a file', () => {
  const dir = tempDir('mlops-quoted-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const quoteAll = (line: string) =>
    line
      .split(',')
      .map((f) => `"${f}"`)
      .join(',');
  const twins = {
    plain: lines,
    all: lines.map(quoteAll),
    // pandas' QUOTE_NONNUMERIC with the id read as text: header and ids quoted, features bare.
    nonnumeric: lines.map((line, i) => (i === 0 ? quoteAll(line) : line.replace(/^([^,]*)/, '"$1"'))),
    crlf: lines.map(quoteAll).map((line) => `${line}\r`),
  };
  const outputs: Record<string, string> = {};
  for (const [name, rows] of Object.entries(twins)) {
    const input = path.join(dir, `${name}.csv`);
    writeFileSync(input, rows.join('\n') + '\n');
    const output = path.join(dir, `${name}.out.csv`);
    const run = runCli([
      'predict-batch',
      fixture('models', 'mlp.onnx'),
      '--input',
      input,
      '--output',
      output,
      '--keep',
      'id',
    ]);
    assert.equal(run.status, 0, run.stderr);
    outputs[name] = readFileSync(output, 'utf8');
  }
  assert.ok(outputs.plain.split('\n').length > 200);
  assert.equal(outputs.all, outputs.plain);
  assert.equal(outputs.nonnumeric, outputs.plain);
  assert.equal(outputs.crlf, outputs.plain);
});

test('a bad value in a quoted row is rejected with its line and the row as the file spells it', () => {
  const dir = tempDir('mlops-quoted-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const quoted = lines.map((line) =>
    line
      .split(',')
      .map((f) => `"${f}"`)
      .join(','),
  );
  const bad = lines[5].split(',');
  bad[3] = 'abc';
  quoted[5] = bad.map((f) => `"${f}"`).join(',');
  const input = path.join(dir, 'bad.csv');
  writeFileSync(input, quoted.join('\n') + '\n');
  const rejects = path.join(dir, 'rejects.csv');
  const output = path.join(dir, 'out.csv');
  const run = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    input,
    '--output',
    output,
    '--keep',
    'id',
    '--on-error',
    'skip',
    '--rejects',
    rejects,
  ]);
  assert.equal(run.status, 0, run.stderr);
  const rejected = parse(readFileSync(rejects, 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(rejected.length, 1);
  assert.equal(rejected[0].line, '6');
  assert.match(rejected[0].reason, /column "f2": "abc" is not a number/);
  assert.equal(rejected[0].row, bad.join(','));
});

/**
 * Bad rows in drift follow the rule of every sample (table/bounded-rows.ts): a row with broken
 * quoting or the wrong number of fields is skipped, counted and reported, never a stop; a file
 * with no good row is refused; an unclosed quote still stops the read (CSV_PARSE_ERROR).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectDrift } from '../../src/drift/index.js';
import { fixture, runCli, tempDir } from '../helpers.js';

const ref = fixture('data', 'drift', 'reference.csv');
const cur = fixture('data', 'drift', 'current.csv');
const lines = readFileSync(cur, 'utf8').trimEnd().split('\n');

/**
 * The current fixture with `bob 5'10",3,4` (broken quoting) as line 3, a row with one field too many
 * (its shift puts "paris" under age, a numerical column) and a short row at the end.
 */
function withBadRows(dir: string): string {
  const file = path.join(dir, 'current-bad.csv');
  writeFileSync(
    file,
    [lines[0], lines[1], `bob 5'10",3,4`, ...lines.slice(2), '9998,paris,41.0,1,0.5,paris,2,1,', '9999,41.0'].join(
      '\n',
    ) + '\n',
  );
  return file;
}

const code = (want: string) => (e: Error & { code?: string; exitCode?: number }) => {
  assert.equal(e.code, want, e.message);
  assert.equal(e.exitCode, 2);
  return true;
};

test('drift skips and counts bad rows in the current data, warns naming the first, and judges the good rows', async () => {
  const dir = tempDir('mlops-drift-bad-');
  const bad = withBadRows(dir);
  const warnings: string[] = [];
  const got = await detectDrift({ reference: ref, current: bad, onWarning: (w) => warnings.push(w) });
  const clean = await detectDrift({ reference: ref, current: cur });
  assert.equal(got.current.skipped_rows, 3);
  assert.equal(got.reference.skipped_rows, 0);
  assert.equal(got.current.rows, clean.current.rows);
  assert.deepEqual(got.columns, clean.columns);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /current-bad\.csv: skipped 3 bad rows \(the first on line 3: /);
});

test('drift refuses a file whose data rows are all bad: a gate never passes on nothing', async () => {
  const dir = tempDir('mlops-drift-bad-');
  const file = path.join(dir, 'all-bad.csv');
  writeFileSync(file, `${lines[0]}\nbob 5'10",3,4\n1,2\n`);
  await assert.rejects(detectDrift({ reference: ref, current: file }), (e: Error & { code?: string }) => {
    code('CSV_BAD_ROW')(e);
    assert.match(e.message, /all-bad\.csv: every data row is bad \(2 rows; the first on line 2: /);
    return true;
  });
  await assert.rejects(detectDrift({ reference: file, current: cur }), code('CSV_BAD_ROW'));
});

test('an unclosed quote still stops drift with CSV_PARSE_ERROR', async () => {
  const dir = tempDir('mlops-drift-bad-');
  const file = path.join(dir, 'unclosed.csv');
  writeFileSync(file, [...lines.slice(0, 5), '77,"40.0,1,2,paris,3,1,', ...lines.slice(5, 20)].join('\n') + '\n');
  await assert.rejects(detectDrift({ reference: ref, current: file }), code('CSV_PARSE_ERROR'));
});

test('mlops drift: bad rows are a warning on stderr, skipped_rows in --json, and a line in the report', () => {
  const dir = tempDir('mlops-drift-bad-');
  const bad = withBadRows(dir);
  const json = runCli(['drift', '--reference', ref, '--current', bad, '--json', '--no-fail']);
  assert.equal(json.status, 0, json.stderr);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.current.skipped_rows, 3);
  assert.equal(doc.reference.skipped_rows, 0);
  assert.match(json.stderr, /^warning: current data .*current-bad\.csv: skipped 3 bad rows \(the first on line 3: /m);
  const table = runCli(['drift', '--reference', ref, '--current', bad, '--no-fail']);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /current-bad\.csv: 3 bad rows skipped/);
});

/** A feature that goes (mostly) empty is drift: missing rates are reported for every column and a jump is drift. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectDrift, MISSING_RATE_JUMP } from '../../src/drift/index.js';
import { fixture, runCli, tempDir } from '../helpers.js';

const ref = fixture('data', 'drift', 'reference.csv');
const cur = fixture('data', 'drift', 'current.csv');

/** The current fixture with the income column (the 3rd) blanked on rows where keep(i) is false. */
function blankIncome(dir: string, name: string, keep: (row: number) => boolean): string {
  const lines = readFileSync(cur, 'utf8').trim().split('\n');
  const out = lines.map((line, i) => {
    if (i === 0 || keep(i)) return line;
    const f = line.split(',');
    f[2] = '';
    return f.join(',');
  });
  const file = path.join(dir, name);
  writeFileSync(file, out.join('\n') + '\n');
  return file;
}

test('a column that is entirely empty in the current data is drift, with both missing rates', async () => {
  const dir = tempDir('mlops-drift-missing-');
  const r = await detectDrift({
    reference: ref,
    current: blankIncome(dir, 'no-income.csv', () => false),
    exclude: ['id'],
  });
  const income = r.columns.find((c) => c.column === 'income')!;
  assert.equal(income.drifted, true);
  assert.equal(income.missing_drift, true);
  assert.equal(income.reference_missing_rate, 0);
  assert.equal(income.current_missing_rate, 1);
  assert.match(income.reason!, /all values missing in the current data/);
  assert.ok(r.tested >= 1);
  // Every column reports its missing rates, tested or not.
  const age = r.columns.find((c) => c.column === 'age')!;
  assert.equal(age.reference_missing_rate, 2 / 1000);
  assert.equal(age.current_missing_rate, 0);
  assert.equal(age.missing_drift, false);
});

test('a jump in the missing rate of at least MISSING_RATE_JUMP is drift; a small change is not', async () => {
  assert.equal(MISSING_RATE_JUMP, 0.1);
  const dir = tempDir('mlops-drift-missing-');
  // 25 % of income missing now (0 % before): drift on missing values even though the present values look alike.
  const quarter = await detectDrift({
    reference: ref,
    current: blankIncome(dir, 'quarter.csv', (i) => i % 4 !== 0),
    exclude: ['id'],
  });
  const income = quarter.columns.find((c) => c.column === 'income')!;
  assert.equal(income.current_missing_rate, 200 / 800);
  assert.equal(income.missing_drift, true);
  assert.ok(income.missing_pvalue! < 0.05);
  assert.equal(income.drifted, true);
  // 2 % missing: reported, not drift.
  const few = await detectDrift({
    reference: ref,
    current: blankIncome(dir, 'few.csv', (i) => i % 50 !== 0),
    exclude: ['id'],
  });
  const slight = few.columns.find((c) => c.column === 'income')!;
  assert.equal(slight.current_missing_rate, 16 / 800);
  assert.equal(slight.missing_drift, false);
});

test('the reports show the missing rates and say why a column drifted', () => {
  const dir = tempDir('mlops-drift-missing-');
  const current = blankIncome(dir, 'no-income.csv', () => false);
  const args = ['drift', '--reference', ref, '--current', current, '--exclude', 'id'];
  const table = runCli(args);
  assert.equal(table.status, 0, 'one drifted column of 6 is below the 50 % dataset threshold');
  assert.match(table.stdout, /income .*0 % -> 100 %/);
  assert.match(table.stdout, /missing rate/);
  const md = runCli([...args, '--markdown']);
  assert.match(md.stdout, /\| income \|.*\| 0 % -> 100 % \| \*\*yes\*\* \|/);
  const json = JSON.parse(runCli([...args, '--json']).stdout);
  const income = json.columns.find((c: { column: string }) => c.column === 'income');
  assert.deepEqual(
    [income.reference_missing_rate, income.current_missing_rate, income.missing_drift, income.drifted],
    [0, 1, true, true],
  );
});

/** Too little data is not "no drift": empty files are input errors, thin columns are "not tested", and nothing tested fails. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectDrift, MIN_VALUES } from '../../src/drift/index.js';
import { runChecklist } from '../../src/checklist/index.js';
import { validateConfig } from '../../src/checklist/config.js';
import { fixture, runCli, tempDir } from '../helpers.js';

const ref = fixture('data', 'drift', 'reference.csv');
const cur = fixture('data', 'drift', 'current.csv');
const header = readFileSync(cur, 'utf8').split('\n')[0];

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The first n data rows of a fixture, with its header. */
function head(file: string, n: number): string {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(0, n + 1)
      .join('\n') + '\n'
  );
}

test('a header-only current or reference file is an input error naming that file', async () => {
  const dir = tempDir('mlops-drift-empty-');
  const emptyCur = write(dir, 'drift_cur.csv', `${header}\n`);
  const emptyRef = write(dir, 'drift_ref.csv', `${header}\n`);
  await assert.rejects(
    detectDrift({ reference: ref, current: emptyCur }),
    (e: Error & { exitCode?: number; code?: string }) => {
      assert.match(e.message, /current data .*drift_cur\.csv has no data rows \(only a header\)/);
      assert.equal(e.exitCode, 2);
      assert.equal(e.code, 'DRIFT_EMPTY_INPUT');
      return true;
    },
  );
  // The empty reference is blamed, not the current file's first text value.
  await assert.rejects(detectDrift({ reference: emptyRef, current: cur }), {
    code: 'DRIFT_EMPTY_INPUT',
    message: /reference data .*drift_ref\.csv has no data rows/,
  });
  const cli = runCli(['drift', '--reference', emptyRef, '--current', cur]);
  assert.equal(cli.status, 2);
  assert.match(cli.stderr, /^error: reference data .*drift_ref\.csv has no data rows/);
  assert.doesNotMatch(cli.stdout, /no dataset drift/);
});

test('columns with fewer than MIN_VALUES values are "not tested: too few values", and nothing tested fails', async () => {
  assert.equal(MIN_VALUES, 30);
  const dir = tempDir('mlops-drift-few-');
  const oneRow = write(dir, 'one-row.csv', head(cur, 1));
  await assert.rejects(
    detectDrift({ reference: ref, current: oneRow, exclude: ['id'] }),
    (e: Error & { exitCode?: number; code?: string }) => {
      assert.equal(e.code, 'DRIFT_NOTHING_TESTED');
      assert.equal(e.exitCode, 2);
      assert.match(e.message, /no column could be tested/);
      assert.match(
        e.message,
        /too few values: 1 in the current data \(need 30\) \(age, income, score, city, visits, constant\); all values missing in both files \(notes\)/,
      );
      return true;
    },
  );
  const cli = runCli(['drift', '--reference', ref, '--current', oneRow, '--json']);
  assert.equal(cli.status, 2);
  assert.equal(JSON.parse(cli.stdout).error.code, 'DRIFT_NOTHING_TESTED');

  // The reference side gets the same treatment.
  const thinRef = write(dir, 'thin-ref.csv', head(ref, 10));
  await assert.rejects(detectDrift({ reference: thinRef, current: cur }), {
    code: 'DRIFT_NOTHING_TESTED',
    message: /too few values: 10 in the reference data \(need 30\)/,
  });

  // Enough rows overall, one thin column (about 20 values in each file, as rare in both): that column is
  // not tested, the others are.
  const thinAge = (file: string) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line, i) => (i <= 20 ? line : line.replace(/^(\d+),[^,]*,/, '$1,,')))
      .join('\n') + '\n';
  const r = await detectDrift({
    reference: write(dir, 'thin-age-ref.csv', thinAge(ref)),
    current: write(dir, 'thin-age-cur.csv', thinAge(cur)),
    exclude: ['id'],
  });
  const age = r.columns.find((c) => c.column === 'age')!;
  assert.equal(age.status, 'skipped');
  assert.match(age.reason!, /too few values: 18 in the reference data, 20 in the current data \(need 30\)/);
  assert.equal(r.columns.find((c) => c.column === 'income')!.status, 'tested');
  // Thin in the current data only: the values cannot be compared, but the jump in missing values is drift.
  const gone = await detectDrift({
    reference: ref,
    current: write(dir, 'thin-age-cur-only.csv', thinAge(cur)),
    exclude: ['id'],
  });
  const goneAge = gone.columns.find((c) => c.column === 'age')!;
  assert.deepEqual([goneAge.status, goneAge.test, goneAge.drifted], ['tested', 'missing_rate', true]);
  assert.match(goneAge.reason!, /too few values: 20 in the current data/);
  assert.equal(r.settings.min_values, 30);
  // A lower minimum is the user's call, and it is recorded.
  const lower = await detectDrift({
    reference: ref,
    current: write(dir, 'ten.csv', head(cur, 10)),
    exclude: ['id'],
    minValues: 5,
  });
  assert.equal(lower.settings.min_values, 5);
  assert.ok(lower.tested > 0);
});

test('the minimum is stated in --help and in every report', () => {
  const help = runCli(['drift', '--help']);
  assert.match(help.stdout, /fewer than 30 non-missing values/);
  const args = ['drift', '--reference', ref, '--current', cur, '--exclude', 'id', '--no-fail'];
  assert.match(runCli(args).stdout, /at least 30 values per column/);
  assert.match(runCli([...args, '--markdown']).stdout, /at least 30 values per column/);
});

test('checklist: a drift check on files without data, or with too few values, does not pass', async () => {
  const dir = tempDir('mlops-cl-drift-');
  const headerOnly = write(dir, 'current-header-only.csv', `${header}\n`);
  const oneRow = write(dir, 'one-row.csv', head(cur, 1));
  const r = await runChecklist({
    checklist: validateConfig(
      {
        checks: [
          { id: 'valid', type: 'model_valid' },
          { id: 'empty', type: 'drift', reference: ref, current: headerOnly },
          { id: 'thin', type: 'drift', reference: ref, current: oneRow },
        ],
      },
      'inline',
    ),
    model: fixture('models', 'mlp.onnx'),
  });
  assert.deepEqual(
    r.checks.map((c) => c.status),
    ['pass', 'error', 'error'],
  );
  assert.match(r.checks[1].message, /current-header-only\.csv has no data rows/);
  assert.match(r.checks[2].message, /no column could be tested/);
  assert.equal(r.passed, false);
});

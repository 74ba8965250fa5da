/**
 * One missing-value rule (table/cell-values.ts) for every path that feeds a model from a table:
 * predict-batch refuses a missing value unless `allowMissing`; a sample skips the row; and check's
 * parity path, which used to feed "NaN" as NaN (a PARITY_MISMATCH) but call "NA" not a number,
 * now refuses every spelling the same way, unless `allowMissing`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkModel } from '../../src/check/index.js';
import { cellProblem, missingCellMessage } from '../../src/table/cell-values.js';
import { fixture, runCli, tempDir } from '../helpers.js';

const mlp = fixture('models', 'mlp.onnx');
const expected = fixture('data', 'mlp.expected.csv');
const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');

/** mlp.csv with column f3 of its second data row (line 3) replaced by `cell`. */
function withCell(dir: string, name: string, cell: string): string {
  const row = lines[2].split(',');
  row[lines[0].split(',').indexOf('f3')] = cell;
  const file = path.join(dir, name);
  writeFileSync(file, [lines[0], lines[1], row.join(','), ...lines.slice(3)].join('\n') + '\n');
  return file;
}

test('cellProblem: one decision on missing values for every element type', () => {
  for (const text of ['', ' ', 'NaN', 'nan', 'NA', 'N/A', 'null', 'None'])
    for (const type of ['float32', 'float64', 'int64', 'int32', 'bool'] as const)
      assert.equal(cellProblem(type, text), 'missing', `${type} ${JSON.stringify(text)}`);
  assert.equal(cellProblem('string', ''), undefined);
  assert.equal(cellProblem('float32', 'abc'), 'a number');
  assert.equal(cellProblem('float32', 'inf'), undefined);
  assert.match(
    missingCellMessage('f3', 'NA', 'float32'),
    /column "f3": "NA" is missing \(pass `allowMissing` to feed NaN\)/,
  );
  assert.match(
    missingCellMessage('n', '', 'int64'),
    /column "n": empty value is missing, and the model's integer input/,
  );
});

test('check parity: NaN, NA and an empty cell in `input` are refused alike, naming file:line and column', async () => {
  const dir = tempDir('mlops-parity-missing-');
  for (const [name, cell, shown] of [
    ['nan.csv', 'NaN', '"NaN"'],
    ['na.csv', 'NA', '"NA"'],
    ['empty.csv', '', 'empty value'],
  ] as const) {
    const input = withCell(dir, name, cell);
    await assert.rejects(
      checkModel({ model: mlp, input, expected, ignore: ['id'] }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'CSV_BAD_VALUE', e.message);
        assert.equal(e.message, `${input}:3: column "f3": ${shown} is missing (pass \`allowMissing\` to feed NaN)`);
        return true;
      },
    );
  }
});

test('check parity with allowMissing feeds a missing value as NaN, as predict-batch --allow-missing does', async () => {
  const dir = tempDir('mlops-parity-missing-');
  const input = withCell(dir, 'na.csv', 'NA');
  const result = await checkModel({ model: mlp, input, expected, ignore: ['id'], allowMissing: true });
  assert.equal(result.parity?.sets[0].passed, false);
});

test('mlops check --allow-missing; without it a missing value is exit 2 naming the flag', () => {
  const dir = tempDir('mlops-parity-missing-');
  const input = withCell(dir, 'na.csv', 'NA');
  const refused = runCli(['check', mlp, '--input', input, '--expected', expected, '--ignore', 'id']);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /error: .*na\.csv:3: column "f3": "NA" is missing \(pass --allow-missing to feed NaN\)/);
  const allowed = runCli([
    'check',
    mlp,
    '--input',
    input,
    '--expected',
    expected,
    '--ignore',
    'id',
    '--allow-missing',
    '--json',
  ]);
  assert.equal(allowed.status, 1, allowed.stderr);
  assert.equal(JSON.parse(allowed.stdout).version, 1);
});

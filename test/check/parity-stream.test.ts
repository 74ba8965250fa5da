/**
 * check --input/--expected reads both files in step, a batch of rows at a
 * time (memory of one batch, whatever the file size), and the report is that
 * of one comparison over every row: element counts, the worst element's row
 * in the whole file, row counts that differ in a later batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, tempDir } from '../helpers.js';
import { checkModel } from '../../src/check/index.js';
import { PARITY_BATCH_ROWS } from '../../src/check/csv-parity.js';

const REPEAT = 100; // 20,000 rows: more than two batches

function bigPair(dir: string): { input: string; expected: string; expectedLines: string[] } {
  const input = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const expected = readFileSync(fixture('data', 'mlp.expected.csv'), 'utf8').trimEnd().split('\n');
  const inputLines = [input[0]];
  const expectedLines = [expected[0]];
  for (let k = 0; k < REPEAT; k++) {
    inputLines.push(...input.slice(1));
    expectedLines.push(...expected.slice(1));
  }
  const inputFile = path.join(dir, 'big.csv');
  writeFileSync(inputFile, inputLines.join('\n') + '\n');
  return { input: inputFile, expected: path.join(dir, 'big.expected.csv'), expectedLines };
}

test('parity over several batches counts every element and names the worst row in the whole file', async () => {
  const dir = tempDir('mlops-parity-');
  const { input, expected, expectedLines } = bigPair(dir);
  assert.ok(expectedLines.length - 1 > 2 * PARITY_BATCH_ROWS);
  const row = 17_123; // 0-based data row, in the third batch
  const cells = expectedLines[row + 1].split(',');
  cells[1] = String(Number(cells[1]) + 1);
  const perturbed = [...expectedLines];
  perturbed[row + 1] = cells.join(',');
  writeFileSync(expected, perturbed.join('\n') + '\n');
  const r = await checkModel({ model: fixture('models', 'mlp.onnx'), input, expected, ignore: ['id'] });
  const out = r.parity!.sets[0].outputs[0];
  assert.equal(out.total, 2 * 200 * REPEAT);
  assert.equal(out.mismatches, 1);
  assert.deepEqual(out.expected_shape, [200 * REPEAT, 2]);
  assert.deepEqual(out.worst?.index, [row, 1]);
  assert.ok(Math.abs(out.max_abs_error - 1) < 1e-3, String(out.max_abs_error));
  assert.equal(r.parity!.passed, false);
});

test('an expected file one row short, past the first batch, is CSV_EXPECTED_ROWS with both counts', async () => {
  const dir = tempDir('mlops-parity-');
  const { input, expected, expectedLines } = bigPair(dir);
  writeFileSync(expected, expectedLines.slice(0, -1).join('\n') + '\n');
  await assert.rejects(
    checkModel({ model: fixture('models', 'mlp.onnx'), input, expected, ignore: ['id'] }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CSV_EXPECTED_ROWS');
      assert.match(err.message, /big\.expected\.csv has 19999 rows but .*big\.csv has 20000/);
      return true;
    },
  );
});

/**
 * check's batch size is rows per model call, as in every command: the synthesized run tries it after 1,
 * and the --input/--expected parity run calls the model with that many rows at a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir } from '../helpers.js';
import { checkModel } from '../../src/check/index.js';

// fixed-batch-8.onnx takes exactly 8 rows per call ([8, 4]), so parity passes only in calls of 8 rows:
// 16 iris rows and onnxruntime's outputs for them (fixed-batch.onnx's weights, run row by row).
const model = fixture('models', 'fixed-batch-8.onnx');

function sixteenRows(): { input: string; expected: string } {
  const dir = tempDir('mlops-parity-batch-');
  const head = (file: string) =>
    readFileSync(fixture('data', file), 'utf8').split('\n').slice(0, 17).join('\n').concat('\n');
  const input = path.join(dir, 'iris16.csv');
  const expected = path.join(dir, 'iris16.expected.csv');
  writeFileSync(input, head('iris.csv'));
  writeFileSync(expected, head('iris-fixed-batch.ort.csv'));
  return { input, expected };
}

test('parity runs in calls of batchSize rows', async () => {
  const files = sixteenRows();
  const r = await checkModel({ model, ...files, ignore: ['species'], batchSize: 8 });
  assert.equal(r.parity?.passed, true, JSON.stringify(r.problems));
  assert.equal(r.parity?.sets[0].outputs[0].total, 16 * 3);
  // The default (8,192 rows per call) feeds all 16 rows at once, which this model refuses.
  await assert.rejects(checkModel({ model, ...files, ignore: ['species'] }), { code: 'RUNTIME_RUN_FAILED' });
});

test('CLI: --batch-size sets the rows per parity call (and --batch, its old spelling)', () => {
  const files = sixteenRows();
  const args = ['check', model, '--input', files.input, '--expected', files.expected, '--ignore', 'species'];
  for (const flag of ['--batch-size', '--batch']) {
    const r = runCli([...args, flag, '8', '--json']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(JSON.parse(r.stdout).parity.passed, true);
  }
  const five = runCli([...args, '--batch-size', '5', '--json']);
  assert.equal(five.status, 2, 'calls of 5 rows do not fit a model that takes 8');
  assert.equal(JSON.parse(five.stdout).error.code, 'RUNTIME_RUN_FAILED');
  assert.match(JSON.parse(five.stdout).error.message, /input float32\[5, 4\]/);
  const help = runCli(['check', '--help']).stdout;
  assert.match(help, /--batch-size <n>\s+rows per model call/);
  assert.match(help, /7/);
  assert.match(help, /8,192/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir } from '../helpers.js';

test('a binary file where a CSV is expected is named as such by the streaming readers too (predict-batch, drift)', () => {
  const model = fixture('models', 'mlp.onnx');
  for (const args of [
    ['predict-batch', model, '--input', model, '--output', '/dev/null', '--json'],
    ['drift', '--reference', model, '--current', fixture('data', 'mlp.csv'), '--json'],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, args[0]);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.error.code, 'CSV_NOT_TEXT');
    assert.match(
      doc.error.message,
      /mlp\.onnx is not a CSV file: it holds binary data \(it starts like an ONNX model\)/,
    );
  }
});

test('lone carriage-return line endings are refused the same by every reader; /dev/zero is not copied until the disk is full', () => {
  const dir = tempDir('mlops-cr-');
  const cr = path.join(dir, 'cr.csv');
  writeFileSync(cr, 'a,b\r0,1\r1,2\r');
  for (const args of [
    ['drift', '--reference', cr, '--current', cr],
    ['bench', fixture('models', 'mlp.onnx'), '--input', cr],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, args[0]);
    assert.match(r.stderr, /cr\.csv: lines end in a lone carriage return/);
  }
  const zero = runCli(['drift', '--reference', '/dev/zero', '--current', fixture('data', 'mlp.csv')]);
  assert.equal(zero.status, 2);
  assert.match(zero.stderr, /reference data \/dev\/zero is not CSV: it holds binary data/);
});

test('a huge bad value is cut short in the error message', () => {
  const dir = tempDir('mlops-cr-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const file = path.join(dir, 'bad.csv');
  writeFileSync(
    file,
    [lines[0], lines[1].replace(/^1,[^,]*/, `1,${'x'.repeat(100_000)}`), ...lines.slice(2)].join('\n') + '\n',
  );
  const r = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    file,
    '--output',
    '/dev/null',
    '--keep',
    'id',
  ]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /column "f0": "x{60}\.\.\." \(100,000 characters\) is not a number/);
  assert.ok(r.stderr.length < 2000);
});

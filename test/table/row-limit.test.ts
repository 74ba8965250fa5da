import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir } from '../helpers.js';

test('a row past MLOPS_MAX_ROW_BYTES is refused by every CSV reader, naming its line', () => {
  const dir = tempDir('mlops-rowlimit-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const wide = path.join(dir, 'wide.csv');
  // Line 3 carries a 10 kB value: within the default limit, past a 4 kB one.
  writeFileSync(
    wide,
    [lines[0], lines[1], lines[2].replace(/,/, `${'9'.repeat(10_000)},`), ...lines.slice(3)].join('\n') + '\n',
  );
  const env = { MLOPS_MAX_ROW_BYTES: '4096' };
  const model = fixture('models', 'mlp.onnx');
  for (const args of [
    ['predict-batch', model, '--input', wide, '--output', '-', '--keep', 'id'],
    ['drift', '--reference', wide, '--current', fixture('data', 'mlp.csv')],
    ['check', model, '--input', wide, '--expected', fixture('data', 'mlp.expected.csv'), '--ignore', 'id'],
  ]) {
    const r = runCli(args, { env });
    assert.equal(r.status, 2, `${args[0]}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^error: .*wide\.csv:3: the row starting on this line is longer than 4,096 bytes\nhint: .*MLOPS_MAX_ROW_BYTES/,
      args[0],
    );
  }
  // Under the default (8 MiB) the same file reads: the value is a number, so drift tests it.
  const ok = runCli(['drift', '--reference', wide, '--current', fixture('data', 'mlp.csv'), '--json', '--no-fail']);
  assert.equal(ok.status, 0, ok.stderr);
  const bad = runCli(['drift', '--reference', wide, '--current', wide], { env: { MLOPS_MAX_ROW_BYTES: '4k' } });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /MLOPS_MAX_ROW_BYTES="4k" is not a positive whole number of bytes/);
});

test('a file with no line breaks is refused at the limit, not read whole', () => {
  const dir = tempDir('mlops-rowlimit-');
  const oneLine = path.join(dir, 'one-line.csv');
  // 24 MiB on one line: three times the 8 MiB default.
  writeFileSync(oneLine, '0.5,'.repeat(6 * 1024 * 1024));
  const r = runCli(['predict-batch', fixture('models', 'mlp.onnx'), '--input', oneLine, '--output', '-']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /one-line\.csv:1: the header starting on this line is longer than 8 MiB/);
  const data = path.join(dir, 'data.csv');
  writeFileSync(data, `a,b\n${'0.5,'.repeat(6 * 1024 * 1024)}\n`);
  const q = runCli([
    'quantize',
    fixture('models', 'mlp.onnx'),
    '--output',
    path.join(dir, 'q.onnx'),
    '--validate',
    data,
  ]);
  assert.equal(q.status, 2, q.stderr);
  assert.match(q.stderr, /data\.csv:2: the row starting on this line is longer than 8 MiB/);
});

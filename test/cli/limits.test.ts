import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir } from '../helpers.js';

test('batch sizes are bounded the same in every command; threads beyond the cores are lowered, not spawned', () => {
  const dir = tempDir('mlops-limits-');
  const model = fixture('models', 'mlp.onnx');
  for (const args of [
    ['bench', model, '--batch-size', '1,30000000'],
    ['check', model, '--batch', '99999999'],
    [
      'quantize',
      model,
      '--output',
      path.join(dir, 'q.onnx'),
      '--validate',
      fixture('data', 'mlp.csv'),
      '--ignore',
      'id',
      '--batch-size',
      '2000000',
    ],
    ['predict-batch', model, '--input', fixture('data', 'mlp.csv'), '--output', '-', '--batch-size', '2000000'],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /is more than 1,000,000 rows per call/);
  }
  const config = path.join(dir, 'c.yml');
  writeFileSync(
    config,
    `model: ${model}\nchecks:\n  - id: lat\n    type: latency\n    batch_size: 100000000\n    max_p95_ms: 10\n`,
  );
  const c = runCli(['checklist', '--config', config]);
  assert.equal(c.status, 2);
  assert.match(c.stderr, /checks\[0\]\.batch_size: at most 1,000,000 rows per call/);
  // --threads 99999 once spawned that many onnxruntime threads (16 GB): now it runs on the cores there are.
  const b = runCli([
    'bench',
    model,
    '--threads',
    '99999',
    '--batch-size',
    '1',
    '--iterations',
    '3',
    '--warmup',
    '0',
    '--json',
  ]);
  assert.equal(b.status, 0, b.stderr);
  assert.ok(JSON.parse(b.stdout).peak_rss_bytes < 1e9);
});

test('register --features-from refuses column names a feature list cannot hold (commas, surrounding spaces)', () => {
  const dir = tempDir('mlops-limits-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').split('\n');
  const spaced = path.join(dir, 'spaced.csv');
  writeFileSync(spaced, [lines[0].split(',').join(', '), ...lines.slice(1)].join('\n'));
  const r = runCli([
    'registry',
    'register',
    'm',
    fixture('models', 'mlp.onnx'),
    '--features-from',
    spaced,
    '--ignore',
    'id',
    '--registry',
    path.join(dir, 'reg'),
  ]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /has the column name " f0", which a feature list cannot hold \(it has leading or trailing spaces\)/,
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir } from '../helpers.js';

const data = fixture('data', 'mlp.csv');
const model = fixture('models', 'mlp.onnx');

test('one spelling per concept: --ignore, --features, --batch-size, --exclude-nodes; old spellings still work, hidden, and not together with the new', () => {
  // predict-batch: --ignore sets columns aside as not features, and copies them by default.
  const p = runCli(['predict-batch', model, '--input', data, '--output', '-', '--ignore', 'id']);
  assert.equal(p.status, 0, p.stderr);
  assert.equal(p.stdout.split('\n')[0], 'id,logits_0,logits_1');

  // drift: --features / --ignore, and the old --columns / --exclude give the same report.
  const drift = ['drift', '--reference', data, '--current', data, '--json', '--no-fail', '--min-values', '2'];
  const now = JSON.parse(runCli([...drift, '--features', 'f0,f1']).stdout);
  const old = JSON.parse(runCli([...drift, '--columns', 'f0,f1']).stdout);
  assert.deepEqual(now.columns.map((c: { column: string }) => c.column).sort(), ['f0', 'f1']);
  assert.deepEqual(old.columns, now.columns);
  const ignored = JSON.parse(runCli([...drift, '--ignore', 'id,f0']).stdout);
  assert.deepEqual(JSON.parse(runCli([...drift, '--exclude', 'id,f0']).stdout).columns, ignored.columns);
  assert.ok(!ignored.columns.some((c: { column: string }) => c.column === 'id' || c.column === 'f0'));
  const both = runCli([...drift, '--ignore', 'id', '--exclude', 'id']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--ignore and --exclude are the same flag/);
  const bothJson = runCli([...drift, '--ignore', 'id', '--exclude', 'id']);
  assert.equal(JSON.parse(bothJson.stdout).error.code, 'OPTIONS_CONFLICT');
  const help = runCli(['drift', '--help']).stdout;
  assert.match(help, /--ignore <cols>/);
  assert.doesNotMatch(help, /--exclude|--columns/);

  // check: --batch-size (old --batch).
  assert.equal(runCli(['check', model, '--batch-size', '5']).status, 0);
  assert.equal(runCli(['check', model, '--batch', '5']).status, 0);
  assert.equal(runCli(['check', model, '--batch', '5', '--batch-size', '5']).status, 2);

  // quantize: --exclude-nodes (old --exclude meant node names there).
  const dir = tempDir('mlops-spell-');
  const q = runCli(['quantize', model, '--output', path.join(dir, 'q.onnx'), '--exclude-nodes', '/fc3/Gemm', '--json']);
  assert.equal(q.status, 0, q.stderr);
  assert.deepEqual(
    JSON.parse(q.stdout).skipped.map((s: { name: string }) => s.name),
    ['/fc3/Gemm'],
  );
  assert.equal(
    runCli([
      'quantize',
      model,
      '--output',
      path.join(dir, 'q2.onnx'),
      '--exclude-nodes',
      '/fc3/Gemm',
      '--exclude',
      '/fc3/Gemm',
    ]).status,
    2,
  );
});

test('checklist YAML: the drift check takes ignore (exclude is its old spelling, not both)', () => {
  const dir = tempDir('mlops-spell-');
  const config = path.join(dir, 'c.yml');
  writeFileSync(
    config,
    `model: ${model}\nchecks:\n  - id: d\n    type: drift\n    reference: ${data}\n    current: ${data}\n    ignore: [id]\n`,
  );
  const r = runCli(['checklist', '--config', config, '--json']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  writeFileSync(
    config,
    `model: ${model}\nchecks:\n  - id: d\n    type: drift\n    reference: ${data}\n    current: ${data}\n    ignore: [id]\n    exclude: [id]\n`,
  );
  const both = runCli(['checklist', '--config', config]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /checks\[0\]\.exclude: is the old spelling of ignore/);
});

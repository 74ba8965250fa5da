import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir } from '../helpers.js';

test('predict-batch says when a dynamic-int8 model makes outputs depend on batching, and when --features overrides a recorded list', () => {
  const dyn = runCli(['predict-batch', fixture('models', 'mlp.ort-int8.onnx'), '--input', fixture('data', 'mlp.csv'), '--output', '/dev/null', '--keep', 'id']);
  assert.equal(dyn.status, 0, dyn.stderr);
  assert.match(dyn.stderr, /warning: the model is dynamically quantized \(int8\).*depend on --batch-size/);
  const plain = runCli(['predict-batch', fixture('models', 'mlp.onnx'), '--input', fixture('data', 'mlp.csv'), '--output', '/dev/null', '--keep', 'id']);
  assert.doesNotMatch(plain.stderr, /dynamically quantized/);

  const dir = tempDir('mlops-review-');
  const registry = path.join(dir, 'reg');
  assert.equal(runCli(['registry', 'register', 'mlp', fixture('models', 'mlp.onnx'), '--features-from', fixture('data', 'mlp.csv'), '--ignore', 'id', '--registry', registry]).status, 0);
  const swapped = ['f1', 'f0', ...Array.from({ length: 28 }, (_, i) => `f${i + 2}`)].join(',');
  const r = runCli(['predict-batch', 'mlp@1', '--input', fixture('data', 'mlp.csv'), '--output', '/dev/null', '--features', swapped, '--registry', registry]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: --features differs from the feature list recorded with the model \(registry tag "features": f0, f1, f2, f3, \.\.\.\); --features is used/);
});

test('checklist: --format json prints an error document too; a candidate may be a registry reference; the --output summary counts as the table does', () => {
  const dir = tempDir('mlops-review-');
  const empty = path.join(dir, 'empty.yml');
  writeFileSync(empty, 'checks: []\n');
  const e = runCli(['checklist', '--config', empty, '--format', 'json', '--model', fixture('models', 'mlp.onnx')]);
  assert.equal(e.status, 2);
  assert.equal(JSON.parse(e.stdout).error.code, 'CHECKLIST_CONFIG');

  const registry = path.join(dir, 'reg');
  assert.equal(runCli(['registry', 'register', 'mlp-int8', fixture('models', 'mlp.ort-int8.onnx'), '--registry', registry]).status, 0);
  const config = path.join(dir, 'c.yml');
  writeFileSync(config, `model: ${fixture('models', 'mlp.onnx')}\nchecks:\n  - id: agree\n    type: quantization_agreement\n    candidate: mlp-int8@1\n    data: ${fixture('data', 'mlp.csv')}\n    ignore: [id]\n    min_agreement: 0.5\n  - id: gone\n    type: drift\n    reference: missing.csv\n    current: missing.csv\n`);
  const out = path.join(dir, 'report.xml');
  const c = runCli(['checklist', '--config', config, '--registry', registry, '--format', 'junit', '--output', out]);
  assert.equal(c.status, 1, c.stderr);
  assert.match(c.stderr, /checklist: 1 passed, 0 failed, 1 could not run, 0 pending -> .*report\.xml/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, fixture, runCli, tempDir } from '../helpers.js';

test('predict-batch says when a dynamic-int8 model makes outputs depend on batching, and when --features overrides a recorded list', () => {
  const dyn = runCli([
    'predict-batch',
    fixture('models', 'mlp.ort-int8.onnx'),
    '--input',
    fixture('data', 'mlp.csv'),
    '--output',
    '/dev/null',
    '--keep',
    'id',
  ]);
  assert.equal(dyn.status, 0, dyn.stderr);
  assert.match(dyn.stderr, /warning: the model is dynamically quantized \(int8\).*depend on --batch-size/);
  const plain = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    fixture('data', 'mlp.csv'),
    '--output',
    '/dev/null',
    '--keep',
    'id',
  ]);
  assert.doesNotMatch(plain.stderr, /dynamically quantized/);

  const dir = tempDir('mlops-review-');
  const registry = path.join(dir, 'reg');
  assert.equal(
    runCli([
      'registry',
      'register',
      'mlp',
      fixture('models', 'mlp.onnx'),
      '--features-from',
      fixture('data', 'mlp.csv'),
      '--ignore',
      'id',
      '--registry',
      registry,
    ]).status,
    0,
  );
  const swapped = ['f1', 'f0', ...Array.from({ length: 28 }, (_, i) => `f${i + 2}`)].join(',');
  const r = runCli([
    'predict-batch',
    'mlp@1',
    '--input',
    fixture('data', 'mlp.csv'),
    '--output',
    '/dev/null',
    '--features',
    swapped,
    '--registry',
    registry,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stderr,
    /warning: --features differs from the feature list recorded with the model \(registry tag "features": f0, f1, f2, f3, \.\.\.\); --features is used/,
  );
});

test('checklist: --format json prints an error document too; a candidate may be a registry reference; the --output summary counts as the table does', () => {
  const dir = tempDir('mlops-review-');
  const empty = path.join(dir, 'empty.yml');
  writeFileSync(empty, 'checks: []\n');
  const e = runCli(['checklist', '--config', empty, '--format', 'json', '--model', fixture('models', 'mlp.onnx')]);
  assert.equal(e.status, 2);
  assert.equal(JSON.parse(e.stdout).error.code, 'CHECKLIST_CONFIG');

  const registry = path.join(dir, 'reg');
  assert.equal(
    runCli(['registry', 'register', 'mlp-int8', fixture('models', 'mlp.ort-int8.onnx'), '--registry', registry]).status,
    0,
  );
  const config = path.join(dir, 'c.yml');
  writeFileSync(
    config,
    `model: ${fixture('models', 'mlp.onnx')}\nchecks:\n  - id: agree\n    type: quantization_agreement\n    candidate: mlp-int8@1\n    data: ${fixture('data', 'mlp.csv')}\n    ignore: [id]\n    min_agreement: 0.5\n  - id: gone\n    type: drift\n    reference: missing.csv\n    current: missing.csv\n`,
  );
  const out = path.join(dir, 'report.xml');
  const c = runCli(['checklist', '--config', config, '--registry', registry, '--format', 'junit', '--output', out]);
  assert.equal(c.status, 1, c.stderr);
  assert.match(c.stderr, /checklist: 1 passed, 0 failed, 1 could not run, 0 pending -> .*report\.xml/);
});

test('verify passes only on something verified, and flags a version registered twice; damaged policies show with no models', () => {
  const dir = tempDir('mlops-review-');
  const failed = path.join(dir, 'failed');
  const r = runCli(['registry', 'register', 'w', fixture('models', 'mlp.onnx'), '--registry', failed], {
    env: { MLOPS_FAILPOINT: 'append-write:ENOSPC' },
  });
  assert.equal(r.status, 2, r.stderr);
  const v = runCli(['registry', 'verify', '--registry', failed]);
  assert.equal(v.status, 2, v.stdout + v.stderr);
  assert.match(v.stderr, /holds no registered models/);

  const reg = path.join(dir, 'reg');
  assert.equal(runCli(['registry', 'register', 'm', fixture('models', 'mlp.onnx'), '--registry', reg]).status, 0);
  const history = path.join(reg, 'models', 'm', 'history.jsonl');
  const line = readFileSync(history, 'utf8').trim();
  // What two writers leave when one was paused past the lock's stale limit: version 1 registered twice.
  writeFileSync(history, `${line}\n${line.replace('"seq":1', '"seq":2')}\n`);
  const dup = runCli(['registry', 'verify', '--registry', reg, '--json']);
  assert.equal(dup.status, 1, dup.stderr);
  assert.ok(JSON.parse(dup.stdout).problems.some((p: { problem: string }) => p.problem === 'duplicate_version'));

  const policiesOnly = path.join(dir, 'policies-only');
  mkdirSync(path.join(policiesOnly, 'models'), { recursive: true });
  writeFileSync(path.join(policiesOnly, 'policies.jsonl'), 'garbage\n');
  const p = runCli(['registry', 'verify', '--registry', policiesOnly]);
  assert.equal(p.status, 1, p.stdout + p.stderr);
  assert.match(p.stdout, /damaged_policies/);
});

test('--output-dir through a symlink into a registry is refused before any folder is made; --output /dev/stdout | head is exit 0', async () => {
  const dir = tempDir('mlops-review-');
  const reg = path.join(dir, 'reg');
  assert.equal(runCli(['registry', 'register', 'm', fixture('models', 'mlp.onnx'), '--registry', reg]).status, 0);
  symlinkSync(path.join(reg, 'models', 'm'), path.join(dir, 'link'));
  const r = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    fixture('data', 'mlp.csv'),
    '--output-dir',
    path.join(dir, 'link', 'versions', '7'),
    '--keep',
    'id',
  ]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /inside the model registry/);
  assert.deepEqual(readdirSync(path.join(reg, 'models', 'm', 'versions')), ['1']);

  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const big = path.join(dir, 'big.csv');
  writeFileSync(big, [lines[0], ...Array.from({ length: 300 }, () => lines.slice(1).join('\n'))].join('\n') + '\n');
  // A real pipe (node's own stdio pipes are sockets, which /dev/stdout cannot be opened on: exit 2, said so).
  const piped = spawnSync(
    'bash',
    [
      '-c',
      `"${process.execPath}" "${path.join(ROOT, 'bin', 'mlops')}" predict-batch "${fixture('models', 'mlp.onnx')}" --input "${big}" --output /dev/stdout --keep id | head -c 10 >/dev/null; echo "status \${PIPESTATUS[0]}" >&2`,
    ],
    { encoding: 'utf8' },
  );
  const stderr = piped.stderr;
  assert.match(stderr, /status 0\n$/, stderr);
  const socket = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    big,
    '--output',
    '/dev/stdout',
    '--keep',
    'id',
  ]);
  assert.equal(socket.status, 2, socket.stderr);
  assert.match(socket.stderr, /it is a socket, which cannot be opened by its path/);
  assert.doesNotMatch(stderr, /error:/);
});

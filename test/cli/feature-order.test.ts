import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir } from '../helpers.js';

/** mlp.csv with f0 and f1 swapped and id moved last: the same data, in another column order. */
function shuffled(dir: string): string {
  const rows = readFileSync(fixture('data', 'mlp.csv'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));
  const order = [2, 1, ...rows[0].map((_, i) => i).slice(3), 0];
  const file = path.join(dir, 'shuffled.csv');
  writeFileSync(file, rows.map((r) => order.map((i) => r[i]).join(',')).join('\n') + '\n');
  return file;
}

test('features taken by column order are warned about, in predict-batch, check and quantize', () => {
  const dir = tempDir('mlops-order-');
  const model = fixture('models', 'mlp.onnx');
  const p = runCli([
    'predict-batch',
    model,
    '--input',
    fixture('data', 'mlp.csv'),
    '--output',
    path.join(dir, 'p.csv'),
    '--keep',
    'id',
  ]);
  assert.equal(p.status, 0, p.stderr);
  assert.match(
    p.stderr,
    /warning: .*mlp\.csv: input "input" takes columns f0, f1, f2, \.\.\., f29 \(30\) by their order in the file/,
  );
  const c = runCli([
    'check',
    model,
    '--input',
    fixture('data', 'mlp.csv'),
    '--expected',
    fixture('data', 'mlp.expected.csv'),
    '--ignore',
    'id',
    '--json',
  ]);
  assert.equal(c.status, 0, c.stderr);
  assert.ok(JSON.parse(c.stdout).problems.some((x: { code: string }) => x.code === 'FEATURES_BY_ORDER'));
  const q = runCli([
    'quantize',
    model,
    '--output',
    path.join(dir, 'q.onnx'),
    '--validate',
    fixture('data', 'mlp.csv'),
    '--ignore',
    'id',
    '--json',
  ]);
  assert.equal(q.status, 0, q.stderr);
  assert.ok(JSON.parse(q.stdout).warnings.some((w: string) => /by their order in the file/.test(w)));
  // Names given explicitly: no warning.
  const named = runCli([
    'predict-batch',
    model,
    '--input',
    fixture('data', 'mlp.csv'),
    '--output',
    path.join(dir, 'p2.csv'),
    '--features',
    Array.from({ length: 30 }, (_, i) => `f${i}`).join(','),
  ]);
  assert.equal(named.status, 0, named.stderr);
  assert.doesNotMatch(named.stderr, /by their order/);
});

test('register --features-from records the names; reordered columns then give the same predictions, and check passes', () => {
  const dir = tempDir('mlops-order-');
  const registry = path.join(dir, 'reg');
  const reg = runCli([
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
    '--json',
  ]);
  assert.equal(reg.status, 0, reg.stderr);
  assert.match(reg.stdout, /"features": "f0,f1,f2,/);
  const plain = runCli([
    'predict-batch',
    'mlp@1',
    '--input',
    fixture('data', 'mlp.csv'),
    '--output',
    '-',
    '--keep',
    'id',
    '--registry',
    registry,
  ]);
  const moved = runCli([
    'predict-batch',
    'mlp@1',
    '--input',
    shuffled(dir),
    '--output',
    '-',
    '--keep',
    'id',
    '--registry',
    registry,
  ]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(moved.status, 0, moved.stderr);
  assert.doesNotMatch(moved.stderr, /by their order/);
  assert.equal(moved.stdout, plain.stdout);
  // Without the names, the same shuffled file silently gives other numbers: that is what the record prevents.
  const blind = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    shuffled(dir),
    '--output',
    '-',
    '--keep',
    'id',
  ]);
  assert.notEqual(blind.stdout, plain.stdout);
  const check = runCli([
    'check',
    'mlp@1',
    '--input',
    shuffled(dir),
    '--expected',
    fixture('data', 'mlp.expected.csv'),
    '--registry',
    registry,
  ]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
});

test('a recorded feature list must fit the model: count, duplicates, one source', () => {
  const dir = tempDir('mlops-order-');
  const registry = path.join(dir, 'reg');
  for (const [args, message] of [
    [
      ['--features-from', fixture('data', 'mlp.csv')],
      /the header of .*mlp\.csv names 31 features, but model input "input" takes 30/,
    ],
    [['--features', 'a,b'], /--features names 2 features, but model input "input" takes 30/],
    [['--tag', 'features=a,a'], /names the feature "a" twice/],
    [['--features', 'a', '--tag', 'features=a'], /both name the features/],
  ] as Array<[string[], RegExp]>) {
    const r = runCli(['registry', 'register', 'mlp', fixture('models', 'mlp.onnx'), ...args, '--registry', registry]);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, message);
  }
  const perColumn = runCli([
    'registry',
    'register',
    'pc',
    fixture('models', 'per-column.onnx'),
    '--features',
    'a,b',
    '--registry',
    registry,
  ]);
  assert.equal(perColumn.status, 2);
  assert.match(perColumn.stderr, /reads one column per input/);
});

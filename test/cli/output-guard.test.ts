import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  linkSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ROOT, fixture, runCli, tempDir, withoutWarnings } from '../helpers.js';
import { ownerTag } from '../../src/util/process-owner.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A folder with a model, its data and a registry holding the model as m@1. */
function workspace() {
  const dir = tempDir('mlops-guard-');
  const model = path.join(dir, 'm.onnx');
  const data = path.join(dir, 'd.csv');
  copyFileSync(fixture('models', 'mlp.onnx'), model);
  copyFileSync(fixture('data', 'mlp.csv'), data);
  const registry = path.join(dir, 'reg');
  const reg = runCli(['registry', 'register', 'm', model, '--registry', registry]);
  assert.equal(reg.status, 0, reg.stderr);
  const stored = runCli(['registry', 'path', 'm@1', '--registry', registry]).stdout.trim();
  return { dir, model, data, registry, stored };
}

test('quantize refuses to write over its model, however the path is spelled (exit 2, model unchanged)', () => {
  const { dir, model } = workspace();
  const before = sha(model);
  symlinkSync(model, path.join(dir, 'link.onnx'));
  linkSync(model, path.join(dir, 'hard.onnx'));
  for (const output of [
    model,
    path.join(dir, '.', 'm.onnx'),
    path.join(dir, 'link.onnx'),
    path.join(dir, 'hard.onnx'),
  ]) {
    const r = runCli(['quantize', model, '--output', output]);
    assert.equal(r.status, 2, `${output}: ${r.stderr}`);
    assert.match(r.stderr, /^error: --output .* is the model .*m\.onnx: writing it would destroy an input\n/);
    assert.equal(sha(model), before);
  }
  // The temporary files of the refused runs were never created.
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes('.tmp-')),
    [],
  );
});

test('no command writes into the registry: quantize, predict-batch, checklist; verify still passes', () => {
  const { dir, data, registry, stored } = workspace();
  const q = runCli(['quantize', 'm@1', '--output', stored, '--registry', registry]);
  assert.equal(q.status, 2, q.stderr);
  assert.match(q.stderr, /is inside the model registry at .*reg: its stored files are immutable/);
  // The registry is recognised by its shape even when the command was pointed at another one.
  const p = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    data,
    '--output',
    stored,
    '--registry',
    path.join(dir, 'other'),
  ]);
  assert.equal(p.status, 2, p.stderr);
  assert.match(p.stderr, /inside the model registry/);
  const c = runCli([
    'checklist',
    '--config',
    fixture('..', 'mlops.checklist.yml'),
    '--output',
    path.join(registry, 'report.txt'),
    '--registry',
    registry,
  ]);
  assert.equal(c.status, 2, c.stderr);
  assert.match(c.stderr, /inside the model registry/);
  const verify = runCli(['registry', 'verify', '--registry', registry]);
  assert.equal(verify.status, 0, verify.stderr);
});

test('predict-batch, drift and checklist refuse an output that is one of their inputs', () => {
  const { dir, model, data } = workspace();
  const before = { model: sha(model), data: sha(data) };
  const p = runCli(['predict-batch', model, '--input', data, '--output', model]);
  assert.equal(p.status, 2);
  assert.match(p.stderr, /the output .*m\.onnx is the model/);
  const d = runCli(['drift', '--reference', data, '--current', fixture('data', 'mlp.csv'), '--html', data]);
  assert.equal(d.status, 2);
  assert.match(d.stderr, /--html .*d\.csv is the reference data/);
  const config = path.join(dir, 'c.yml');
  writeFileSync(config, 'model: m.onnx\nchecks:\n  - id: v\n    type: model_valid\n');
  const c = runCli(['checklist', '--config', config, '--output', config]);
  assert.equal(c.status, 2, c.stderr);
  assert.match(c.stderr, /--output .*c\.yml is the checklist config/);
  assert.match(readFileSync(config, 'utf8'), /type: model_valid/);
  // ...nor over a data file the config names (relative to the config's folder).
  writeFileSync(
    config,
    'model: m.onnx\nchecks:\n  - id: drift\n    type: drift\n    reference: d.csv\n    current: d.csv\n',
  );
  const onData = runCli(['checklist', '--config', config, '--output', data]);
  assert.equal(onData.status, 2, onData.stderr);
  assert.match(onData.stderr, /--output .*d\.csv is checks\[0\]\.(reference|current) .*d\.csv/);
  assert.deepEqual({ model: sha(model), data: sha(data) }, before);
});

test('"-" is stdout where that makes sense and refused elsewhere; never a file named "-"', () => {
  const { dir, model, data } = workspace();
  const html = runCli(['drift', '--reference', data, '--current', data, '--html', '-'], { cwd: dir });
  assert.equal(html.status, 0, html.stderr);
  assert.match(html.stdout, /^<!doctype html>/);
  const both = runCli(['drift', '--reference', data, '--current', data, '--html', '-', '--json'], { cwd: dir });
  assert.equal(both.status, 2);
  const init = runCli(['checklist', 'init', '--output', '-'], { cwd: dir });
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, /^# mlops deployment checklist/);
  for (const args of [
    ['quantize', model, '--output', '-'],
    [
      'predict-batch',
      model,
      '--input',
      data,
      '--output',
      path.join(dir, 'o.csv'),
      '--on-error',
      'skip',
      '--rejects',
      '-',
    ],
    ['predict-batch', model, '--input', data, '--output-dir', '-'],
  ]) {
    const r = runCli(args, { cwd: dir });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /"-" \(stdout\) is not supported here/);
  }
  assert.equal(existsSync(path.join(dir, '-')), false);
});

test('a name listed twice in any column list is an error (--keep id,id wrote a column of "undefined")', () => {
  const { model, data } = workspace();
  for (const args of [
    ['predict-batch', model, '--input', data, '--output', '-', '--keep', 'id,id'],
    ['predict-batch', model, '--input', data, '--output', '-', '--keep', 'id', '--keep', 'id'],
    ['drift', '--reference', data, '--current', data, '--categorical', 'f1,f2,f1'],
    ['quantize', model, '--output', 'x.onnx', '--ignore', 'id,id'],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /is listed twice/);
    assert.equal(r.stdout, '');
  }
});

test('a full disk on stdout is said once, exit 2, whichever command writes', () => {
  const full = openSync('/dev/full', 'w');
  try {
    for (const args of [
      [
        'predict-batch',
        fixture('models', 'mlp.onnx'),
        '--input',
        fixture('data', 'mlp.csv'),
        '--output',
        '-',
        '--keep',
        'id',
      ],
      ['inspect', fixture('models', 'mlp.onnx'), '--json'],
    ]) {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'mlops'), ...args], {
        stdio: ['ignore', full, 'pipe'],
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      assert.equal(r.status, 2, args[0]);
      assert.equal(
        withoutWarnings(r.stderr),
        'error: cannot write stdout: no space left on the device (ENOSPC)\n',
        args[0],
      );
    }
  } finally {
    closeSync(full);
  }
});

test('registry files are protected whichever registry a command knows of: policies, lock, stored models, also from checklist init', () => {
  const { dir, data, registry, stored } = workspace();
  const policy = runCli(['registry', 'policy', 'production', '--require', 'staging', '--registry', registry]);
  assert.equal(policy.status, 0, policy.stderr);
  for (const args of [
    ['checklist', 'init', '--output', stored, '--force'],
    ['checklist', 'init', '--output', path.join(registry, 'policies.jsonl'), '--force'],
    ['drift', '--reference', data, '--current', data, '--html', path.join(registry, 'policies.jsonl')],
    [
      'predict-batch',
      fixture('models', 'mlp.onnx'),
      '--input',
      data,
      '--output',
      path.join(registry, 'lock'),
      '--keep',
      'id',
    ],
  ]) {
    const r = runCli(args, { cwd: dir });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /inside the model registry/);
  }
  assert.equal(runCli(['registry', 'verify', '--registry', registry]).status, 0);
  assert.equal(runCli(['registry', 'policy', 'production', '--registry', registry]).status, 0);
  // A folder that merely has models/<name>/history.jsonl (a training log) is not a registry.
  const logs = path.join(dir, 'logs');
  mkdirSync(path.join(logs, 'models', 'x'), { recursive: true });
  writeFileSync(path.join(logs, 'models', 'x', 'history.jsonl'), '{}\n');
  const ok = runCli(['drift', '--reference', data, '--current', data, '--html', path.join(logs, 'r.html')]);
  assert.equal(ok.status, 0, ok.stderr);
});

test('a file inside an input folder is an input; --output-dir refused before any folder is made', () => {
  const dir = tempDir('mlops-guard-');
  const calib = path.join(dir, 'calib');
  cpSync(fixture('data', 'cnn-calibration'), calib, { recursive: true });
  const first = readdirSync(calib)[0];
  const before = sha(path.join(calib, first));
  const q = runCli([
    'quantize',
    fixture('models', 'cnn.onnx'),
    '--mode',
    'static',
    '--calibration',
    calib,
    '--output',
    path.join(calib, first),
  ]);
  assert.equal(q.status, 2, q.stderr);
  assert.match(q.stderr, /is the calibration data/);
  assert.equal(sha(path.join(calib, first)), before);

  const inputs = path.join(dir, 'inputs');
  mkdirSync(inputs);
  copyFileSync(fixture('data', 'mlp.csv'), path.join(inputs, 'a.csv'));
  const p = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    inputs,
    '--output-dir',
    inputs,
    '--on-error',
    'skip',
    '--keep',
    'id',
  ]);
  assert.equal(p.status, 2, p.stderr);
  assert.deepEqual(readdirSync(inputs), ['a.csv'], 'no rejects folder was made');
});

test('empty output paths are usage errors; quantize --register checks the registry before any work', () => {
  const dir = tempDir('mlops-guard-');
  for (const args of [
    ['checklist', 'init', '--output', ''],
    ['drift', '--reference', fixture('data', 'mlp.csv'), '--current', fixture('data', 'mlp.csv'), '--html', ''],
  ]) {
    const r = runCli(args, { cwd: dir });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /the path is empty/);
  }
  const notFolder = path.join(dir, 'afile');
  writeFileSync(notFolder, 'x');
  const q = runCli([
    'quantize',
    fixture('models', 'mlp.onnx'),
    '--output',
    path.join(dir, 'q.onnx'),
    '--register',
    'q',
    '--registry',
    notFolder,
  ]);
  assert.equal(q.status, 2, q.stderr);
  assert.match(q.stderr, /--register: the registry .*afile cannot be used/);
  assert.equal(existsSync(path.join(dir, 'q.onnx')), false);
});

test('a reader that closes the pipe early (| head) ends predict-batch quietly with exit 0, no abort', async () => {
  const dir = tempDir('mlops-pipe-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const big = path.join(dir, 'big.csv');
  writeFileSync(big, [lines[0], ...Array.from({ length: 300 }, () => lines.slice(1).join('\n'))].join('\n') + '\n');
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'mlops'),
      'predict-batch',
      fixture('models', 'mlp.onnx'),
      '--input',
      big,
      '--output',
      '-',
      '--keep',
      'id',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  assert.equal(status, 0, stderr);
  assert.doesNotMatch(stderr, /terminate called|Napi|error:/);
});

test('drift removes the copy of a pipe that a killed run left behind', () => {
  const dir = tempDir('mlops-spool-');
  const abandoned = path.join(dir, `mlops-drift-${ownerTag()}-999999999-abc123`);
  mkdirSync(abandoned);
  writeFileSync(path.join(abandoned, 'current.csv'), 'a\n1\n');
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'mlops'),
      'drift',
      '--reference',
      fixture('data', 'mlp.csv'),
      '--current',
      '/dev/stdin',
      '--json',
      '--no-fail',
    ],
    {
      input: readFileSync(fixture('data', 'mlp.csv')),
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: dir, NO_COLOR: '1' },
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(dir), [], "the abandoned copy and this run's own copy are gone");
});

/** drift and checklist flags: bad values and conflicting formats are usage errors (exit 2); pipes are read, not "missing". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, ROOT, runCli, tempDir } from '../helpers.js';

const ref = fixture('data', 'drift', 'reference.csv');
const cur = fixture('data', 'drift', 'current.csv');
const drift = ['drift', '--reference', ref, '--current', cur];

test('drift: out-of-range values name the flag', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--alpha', '2'], /--alpha.*"2" must be between 0 and 1 \(exclusive\)/],
    [['--alpha', '0'], /--alpha.*"0" must be between 0 and 1 \(exclusive\)/],
    [['--drift-share', '0'], /--drift-share.*"0" must be above 0 and at most 1/],
    [['--drift-share', '5'], /--drift-share.*"5" must be above 0 and at most 1/],
    [['--min-effect', '-1'], /--min-effect.*"-1" must be >= 0/],
    [['--min-values', '1'], /--min-values.*"1" must be an integer >= 2/],
    [['--min-values', 'many'], /--min-values.*"many" must be an integer >= 2/],
  ];
  for (const [flags, message] of cases) {
    const r = runCli([...drift, ...flags]);
    assert.equal(r.status, 2, flags.join(' '));
    assert.match(r.stderr, message);
  }
});

test('drift: one column given two types, or both chosen and excluded, is a usage error', () => {
  const both = runCli([...drift, '--categorical', 'age', '--numerical', 'income,age']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /error: column "age" is given to both --categorical and --numerical/);
  const chosenAndExcluded = runCli([...drift, '--columns', 'age,income', '--exclude', 'income']);
  assert.equal(chosenAndExcluded.status, 2);
  assert.match(chosenAndExcluded.stderr, /error: column "income" is given to both --features and --ignore/);
});

test('conflicting output formats are refused, not silently printed as JSON', () => {
  const md = runCli([...drift, '--markdown', '--json']);
  assert.equal(md.status, 2);
  assert.match(md.stderr, /error: --json and --markdown ask for different output formats: give one/);
  assert.equal(JSON.parse(md.stdout).error.exit_code, 2, '--json still gets its document');
  const dir = tempDir('mlops-cl-format-');
  const config = path.join(dir, 'c.yml');
  writeFileSync(config, 'checks:\n  - id: size\n    type: max_size_mb\n    max: 10\n');
  const junit = runCli([
    'checklist',
    '--config',
    config,
    '--model',
    fixture('models', 'mlp.onnx'),
    '--format',
    'junit',
    '--json',
  ]);
  assert.equal(junit.status, 2);
  assert.match(
    junit.stderr,
    /error: --format junit and --json ask for different output formats: give one\nhint: checklist prints table, json, junit or markdown; --json is short for --format json/,
  );
  const ok = runCli(['checklist', '--config', config, '--model', fixture('models', 'mlp.onnx'), '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).passed, true);
});

test('drift reads a pipe or /dev/stdin (read once, spooled), and names it in messages', () => {
  const bin = path.join(ROOT, 'bin', 'mlops');
  const r = spawnSync(
    process.execPath,
    [bin, 'drift', '--reference', ref, '--current', '/dev/stdin', '--exclude', 'id', '--json'],
    { input: readFileSync(cur), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.current.path, '/dev/stdin');
  assert.equal(doc.current.rows, 800);
  assert.equal(doc.columns.find((c: { column: string }) => c.column === 'income').drifted, true);
  // Errors name the pipe, not a temporary copy.
  const bad = spawnSync(process.execPath, [bin, 'drift', '--reference', ref, '--current', '/dev/stdin'], {
    input: 'id,age\n1,abc\n',
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error: \/dev\/stdin:2: column "age": "abc" is not a number/);
  const empty = spawnSync(process.execPath, [bin, 'drift', '--reference', ref, '--current', '/dev/stdin'], {
    input: '',
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /error: \/dev\/stdin is empty/);
  // A real pipe from process substitution (/dev/fd/63), as a shell user would pass it.
  const shell = spawnSync(
    'bash',
    ['-c', `"${process.execPath}" "${bin}" drift --reference "${ref}" --current <(cat "${cur}") --exclude id --json`],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
  assert.equal(shell.status, 0, shell.stderr);
  assert.match(JSON.parse(shell.stdout).current.path, /^\/dev\/fd\/\d+$/);
  const folder = runCli(['drift', '--reference', ref, '--current', path.dirname(cur)]);
  assert.equal(folder.status, 2);
  assert.match(folder.stderr, /is a folder/);
});

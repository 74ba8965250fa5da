import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, ROOT, runCli, tempDir } from '../helpers.js';

test('--version prints the package version; --help lists commands and exit codes', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const v = runCli(['--version']);
  assert.equal(v.status, 0);
  assert.equal(v.stdout.trim(), pkg.version);
  const help = runCli(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /inspect/);
  assert.match(help.stdout, /check/);
  assert.match(help.stdout, /Exit codes: 0 ok, 1 .*2 usage or input error, 3 internal error/);
  for (const cmd of ['inspect', 'check']) {
    const sub = runCli([cmd, '--help']);
    assert.equal(sub.status, 0);
    assert.match(sub.stdout, /Examples:\n {2}\$ mlops /, cmd);
  }
});

test('inspect --json is one document with version 1 and the model summary', () => {
  const r = runCli(['inspect', fixture('models', 'mlp.onnx'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.version, 1);
  assert.equal(doc.ir_version, 8);
  assert.deepEqual(doc.opsets, [{ domain: 'ai.onnx', version: 17 }]);
  assert.deepEqual(doc.inputs, [{ name: 'input', kind: 'tensor', type: 'float32', shape: ['batch', 30] }]);
  assert.equal(doc.parameter_count, 30 * 256 + 256 + 256 * 256 + 256 + 256 * 2 + 2);
  assert.match(doc.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(
    doc.op_counts.map((o: { op_type: string; count: number }) => [o.op_type, o.count]),
    [
      ['Gemm', 3],
      ['Relu', 2],
    ],
  );
});

test('inspect prints a table for people, without colour under NO_COLOR', () => {
  const r = runCli(['inspect', fixture('models', 'mlp-dynamo.onnx')]);
  assert.equal(r.status, 0);
  // stdout is a pipe here: plain aligned columns, no box drawing (test/report/table-modes.test.ts has both modes).
  assert.match(r.stdout, /^ir_version +10$/m);
  assert.doesNotMatch(r.stdout, /[│┌─]/);
  assert.match(r.stdout, /linear_1/);
  assert.doesNotMatch(r.stdout, /\u001b\[/);
});

test('check exit codes: 0 pass, 1 failed check, 2 unusable input', () => {
  const ok = runCli(['check', fixture('models', 'mlp.onnx'), '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).passed, true);
  const failed = runCli(['check', fixture('broken', 'dangling-input.onnx')]);
  assert.equal(failed.status, 1);
  assert.match(failed.stdout, /NODE_UNDEFINED_INPUT/);
  assert.match(failed.stdout, /FAILED/);
  const parity = runCli([
    'check',
    '--test-data',
    fixture('testdata', 'mlp-wrong'),
    fixture('models', 'mlp.onnx'),
    '--json',
  ]);
  assert.equal(parity.status, 1);
  assert.equal(JSON.parse(parity.stdout).parity.passed, false);
  const truncated = runCli(['check', fixture('broken', 'truncated.onnx')]);
  assert.equal(truncated.status, 2);
  assert.equal(truncated.stdout, '');
  assert.match(truncated.stderr, /^error: .*truncated\.onnx is not a valid ONNX model: .*\nhint: /);
  assert.doesNotMatch(truncated.stderr, /\n\s+at /, 'no stack trace without --debug');
  // With --json the failure is a document on stdout too; commander's own usage errors included.
  const asJson = runCli(['check', fixture('broken', 'truncated.onnx'), '--json']);
  assert.equal(asJson.status, 2);
  const doc = JSON.parse(asJson.stdout);
  assert.deepEqual([doc.version, doc.ok, doc.error.exit_code], [1, false, 2]);
  assert.match(doc.error.message, /truncated\.onnx is not a valid ONNX model/);
  const usage = runCli(['drift', '--json']);
  assert.equal(usage.status, 2);
  assert.match(JSON.parse(usage.stdout).error.message, /required option '--reference <csv>' not specified/);
});

test('--debug adds the stack trace to a user error', () => {
  const r = runCli(['--debug', 'check', fixture('broken', 'empty.onnx')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error: .*empty/);
  assert.match(r.stderr, /\n\s+at /);
});

test('bad flags are usage errors with exit 2', () => {
  const unknown = runCli(['check', fixture('models', 'mlp.onnx'), '--frobnicate']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown option '--frobnicate'/);
  const badNumber = runCli(['check', fixture('models', 'mlp.onnx'), '--rtol', 'abc']);
  assert.equal(badNumber.status, 2);
  assert.match(badNumber.stderr, /--rtol.*"abc" is not a number/);
  const badDim = runCli(['check', fixture('models', 'mlp.onnx'), '--dim', 'batch']);
  assert.equal(badDim.status, 2);
  const missing = runCli(['inspect']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /missing required argument 'model'/);
  const unknownCommand = runCli(['frobnicate']);
  assert.equal(unknownCommand.status, 2);
});

test('a --test-data folder holding model.onnx is enough', () => {
  const without = runCli(['check', '--test-data', fixture('testdata', 'mlp'), '--json']);
  assert.equal(without.status, 2);
  assert.match(without.stderr, /no model given/);
  const dir = tempDir('mlops-testdata-');
  cpSync(fixture('testdata', 'cnn'), dir, { recursive: true });
  copyFileSync(fixture('models', 'cnn.onnx'), path.join(dir, 'model.onnx'));
  const r = runCli(['check', '--test-data', dir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.parity.passed, true);
  assert.equal(doc.model.path, path.join(dir, 'model.onnx'));
});

test('inspect does not load onnxruntime (start-up stays fast)', () => {
  const script = `
    const { main } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/cli.js'))});
    process.stdout.write = () => true;
    await main(['node', 'mlops', 'inspect', ${JSON.stringify(fixture('models', 'mlp.onnx'))}, '--json']);
    const { createRequire } = await import('node:module');
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.error(JSON.stringify(cache.filter((k) => k.includes('onnxruntime'))));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stderr.trim().split('\n').pop()!), []);
});

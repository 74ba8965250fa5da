import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runCli } from '../helpers.js';

const mlp = fixture('models', 'mlp.onnx');

function usage(args: string[], pattern: RegExp): string {
  const r = runCli(['check', ...args]);
  assert.equal(r.status, 2, `${args.join(' ')}\n${r.stderr}`);
  assert.match(r.stderr, pattern, args.join(' '));
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
  assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000e-\u001f]/, 'no binary bytes printed');
  return r.stderr;
}

test('check: a binary file given as --input or --expected is refused as not a CSV', () => {
  const input = usage(
    [mlp, '--input', mlp, '--expected', fixture('data', 'mlp.expected.csv')],
    /error: --input: .*mlp\.onnx is not a CSV file: it holds binary data \(it starts like an ONNX model\)/,
  );
  assert.match(
    input,
    /hint: --input and --expected take CSV files with a header row, or Parquet files; tensors \(\.pb\) go in a --test-data folder/,
  );
  usage(
    [
      mlp,
      '--input',
      fixture('data', 'mlp.csv'),
      '--expected',
      fixture('data', 'cnn-calibration', 'image.npy'),
      '--ignore',
      'id',
    ],
    /error: --expected: .*image\.npy is not a CSV file: it holds a numpy \.npy array/,
  );
});

test('check: flags that would be silently ignored are refused', () => {
  usage(
    [
      mlp,
      '--features',
      'f0',
      '--ignore',
      'id,f0',
      '--input',
      fixture('data', 'mlp.csv'),
      '--expected',
      fixture('data', 'mlp.expected.csv'),
    ],
    /column "f0" is given to both --features and --ignore/,
  );
  usage([mlp, '--ignore', 'id'], /--ignore maps columns of --input, which is not given/);
  usage(
    [
      mlp,
      '--test-data',
      fixture('testdata', 'mlp'),
      '--input',
      fixture('data', 'mlp.csv'),
      '--expected',
      fixture('data', 'mlp.expected.csv'),
    ],
    /--test-data and --input\/--expected are two ways to give parity data: pass one/,
  );
  usage(
    [mlp, '--dim', 'nosuchdim=4'],
    /--dim: .*mlp\.onnx has no symbolic dim "nosuchdim" \(its symbolic dims: batch\)/,
  );
});

test('check: a model onnxruntime cannot load gets a hint that is not "run mlops check"', () => {
  const structural = runCli(['check', fixture('broken', 'dangling-input.onnx'), '--json']);
  assert.equal(structural.status, 1);
  const doc = JSON.parse(structural.stdout);
  const load = doc.problems.find((p: { code: string }) => p.code === 'RUNTIME_LOAD_FAILED');
  assert.doesNotMatch(load.hint, /mlops check/);
  assert.match(load.hint, /fix the structural errors above \(NODE_UNDEFINED_INPUT\) first/);
  const opset = JSON.parse(runCli(['check', fixture('broken', 'opset-too-new.onnx'), '--json']).stdout);
  assert.doesNotMatch(
    opset.problems.find((p: { code: string }) => p.code === 'RUNTIME_LOAD_FAILED').hint,
    /mlops check/,
  );
});

test('check --allow-missing without --input is refused, like --features and --ignore (it did nothing)', () => {
  const r = runCli(['check', fixture('models', 'mlp.onnx'), '--allow-missing', '--json']);
  assert.equal(r.status, 2);
  assert.equal(JSON.parse(r.stdout).error.code, 'OPTION_MISSING');
  assert.match(
    JSON.parse(r.stdout).error.message,
    /--allow-missing applies to the rows of --input, which is not given/,
  );
});

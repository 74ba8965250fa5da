import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir } from '../helpers.js';

const cnn = fixture('models', 'cnn.onnx');
const mlp = fixture('models', 'mlp.onnx');
const calibration = fixture('data', 'cnn-calibration');

function refused(args: string[], pattern: RegExp, dir: string): string {
  const r = runCli(['quantize', ...args]);
  assert.equal(r.status, 2, `${args.join(' ')}\n${r.stderr}`);
  assert.match(r.stderr, pattern, args.join(' '));
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, 'a user error, not a bug');
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
  return r.stderr;
}

test('quantize: numeric flags out of range are usage errors naming the flag', () => {
  const dir = tempDir('mlops-qcli-');
  const output = path.join(dir, 'out.onnx');
  const staticArgs = [
    cnn,
    '--output',
    output,
    '--mode',
    'static',
    '--calibration',
    calibration,
    '--calibrate',
    'percentile',
  ];
  for (const p of ['200', '100.5', '0', '50', '-1', 'NaN', 'abc'])
    refused([...staticArgs, '--percentile', p], /--percentile/, dir);
  refused([...staticArgs, '--calibration-rows', '0'], /--calibration-rows/, dir);
  refused([mlp, '--output', output, '--min-elements', '-5'], /--min-elements/, dir);
  refused([mlp, '--output', output, '--threads', '1.5'], /--threads/, dir);
  refused(
    [mlp, '--output', output, '--validate', fixture('data', 'mlp.csv'), '--ignore', 'id', '--batch-size', '0'],
    /--batch-size/,
    dir,
  );
  // 100 is the plain maximum: accepted.
  const ok = runCli(['quantize', ...staticArgs, '--percentile', '100', '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).calibration.method, 'percentile');
});

test('quantize: flags that would be silently ignored are refused', () => {
  const dir = tempDir('mlops-qcli-');
  const output = path.join(dir, 'out.onnx');
  refused(
    [cnn, '--output', output, '--mode', 'static', '--calibration', calibration, '--percentile', '99'],
    /--percentile applies with --calibrate percentile/,
    dir,
  );
  refused(
    [mlp, '--output', output, '--calibration', fixture('data', 'mlp.csv')],
    /--calibration applies to --mode static only/,
    dir,
  );
  refused([mlp, '--output', output, '--validation-rows', '10'], /--validation-rows applies with --validate/, dir);
  refused(
    [mlp, '--output', output, '--validate', fixture('data', 'mlp.csv'), '--features', 'f0', '--ignore', 'id,f0'],
    /column "f0" is given to both --features and --ignore/,
    dir,
  );
  refused(
    [mlp, '--output', output, '--ignore', 'id'],
    /--ignore maps CSV columns of --calibration or --validate data/,
    dir,
  );
  const ops = refused([mlp, '--output', output, '--ops', 'gemm'], /--ops: "gemm" is not an operator type/, dir);
  assert.match(ops, /hint: operator types are case-sensitive: --ops Gemm/);
  refused(
    [mlp, '--output', output, '--register', 'Bad Name!', '--registry', tempDir('mlops-qcli-reg-')],
    /--register: invalid model name "Bad Name!"/,
    dir,
  );
  const json = runCli(['quantize', mlp, '--output', output, '--ops', 'Foo', '--json']);
  assert.equal(json.status, 2);
  assert.equal(JSON.parse(json.stdout).error.code, 'OPTION_INVALID');
});

test('quantize --exclude: a node the model does not have is an error with close matches', () => {
  const dir = tempDir('mlops-qcli-');
  const output = path.join(dir, 'out.onnx');
  const typo = refused(
    [mlp, '--output', output, '--exclude-nodes', 'fc2/Gemm'],
    /--exclude-nodes: .*mlp\.onnx has no node named "fc2\/Gemm"; did you mean "\/fc2\/Gemm"\?/,
    dir,
  );
  assert.match(typo, /hint: its MatMul\/Gemm\/Conv nodes are \/fc1\/Gemm, \/fc2\/Gemm, \/fc3\/Gemm/);
  refused([mlp, '--output', output, '--exclude', 'nosuchnode'], /has no node named "nosuchnode"\n/, dir);
  const ok = runCli(['quantize', mlp, '--output', output, '--exclude', '/fc3/Gemm', '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).skipped, [
    { name: '/fc3/Gemm', op_type: 'Gemm', reason: 'excluded by --exclude-nodes' },
  ]);
});

test('quantize --calibration and --validate: a single .npy file works; binary files are not read as CSV', () => {
  const dir = tempDir('mlops-qcli-');
  const output = path.join(dir, 'out.onnx');
  const npy = path.join(calibration, 'image.npy');
  const r = runCli([
    'quantize',
    cnn,
    '--output',
    output,
    '--mode',
    'static',
    '--calibration',
    npy,
    '--validate',
    npy,
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual([doc.calibration.source, doc.calibration.rows, doc.validation.rows], [npy, 256, 256]);
  const other = tempDir('mlops-qcli-');
  const out2 = path.join(other, 'out.onnx');
  for (const flag of ['--calibration', '--validate']) {
    const args = flag === '--calibration' ? ['--mode', 'static', flag, cnn] : [flag, cnn];
    const e = refused(
      [cnn, '--output', out2, ...args],
      new RegExp(
        `${flag === '--calibration' ? 'calibration' : 'validation'} data .*cnn\\.onnx is not a CSV file: it holds binary data`,
      ),
      other,
    );
    assert.match(e, /hint: .*a CSV or Parquet file, a \.npy or \.pb tensor file, or a folder of \.npy\/\.pb tensors/);
    assert.doesNotMatch(e, /[\u0000-\u0008\u000e-\u001f]/, 'no binary bytes printed');
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, withoutWarnings } from '../helpers.js';
import { tempDir } from '../registry/helpers.js';

test('predict-batch writes the output, a one-line summary on stderr, and --json on stdout', () => {
  const dir = tempDir('mlops-cli-pred-');
  const out = path.join(dir, 'preds.csv');
  const r = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    fixture('data', 'mlp.csv'),
    '--output',
    out,
    '--keep',
    'id',
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.version, 1);
  assert.equal(doc.rows_written, 200);
  assert.deepEqual(Object.keys(doc.timings_ms), [
    'parse',
    'infer',
    'infer_main_thread',
    'infer_wait',
    'format',
    'write',
    'total',
  ]);
  assert.match(withoutWarnings(r.stderr), /^predicted 200 rows in [\d.]+ s \([\d,]+ rows\/s\) -> .*preds\.csv\n$/);
  assert.equal(readFileSync(out, 'utf8').split('\n').length, 202);
});

test('predict-batch --output - streams to stdout; a glob selects inputs', () => {
  const dir = tempDir('mlops-cli-pred-');
  const r = runCli([
    'predict-batch',
    fixture('models', 'iris-zipmap.onnx'),
    '--input',
    fixture('data', 'iris.csv'),
    '--output',
    '-',
    '--keep',
    'species',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], 'species,label,probability_0,probability_1,probability_2');
  for (const i of [1, 2]) writeFileSync(path.join(dir, `part-${i}.csv`), readFileSync(fixture('data', 'iris.csv')));
  const outDir = tempDir('mlops-cli-out-');
  const g = runCli([
    'predict-batch',
    fixture('models', 'iris-zipmap.onnx'),
    '--input',
    path.join(dir, 'part-*.csv'),
    '--output-dir',
    outDir,
    '--keep',
    'species',
  ]);
  assert.equal(g.status, 0, g.stderr);
  assert.ok(existsSync(path.join(outDir, 'part-1.csv')) && existsSync(path.join(outDir, 'part-2.csv')));
});

test('predict-batch input errors: exit 2 with the line, no output; rejects exceed --max-rejects: exit 1', () => {
  const dir = tempDir('mlops-cli-pred-');
  const bad = path.join(dir, 'data.csv');
  writeFileSync(bad, 'a,b,c,d\n1,2,3,4\n1,abc,3,4\n');
  const out = path.join(dir, 'out.csv');
  const r = runCli(['predict-batch', fixture('models', 'iris-zipmap.onnx'), '--input', bad, '--output', out]);
  assert.equal(r.status, 2);
  assert.match(withoutWarnings(r.stderr), /^error: .*data\.csv:3: column "b": "abc" is not a number\nhint: /);
  assert.equal(existsSync(out), false);
  const skip = runCli([
    'predict-batch',
    fixture('models', 'iris-zipmap.onnx'),
    '--input',
    bad,
    '--output',
    out,
    '--on-error',
    'skip',
    '--max-rejects',
    '0',
  ]);
  assert.equal(skip.status, 1);
  assert.equal(existsSync(out), false);
  const ok = runCli([
    'predict-batch',
    fixture('models', 'iris-zipmap.onnx'),
    '--input',
    bad,
    '--output',
    out,
    '--on-error',
    'skip',
    '--rejects',
    path.join(dir, 'rej.csv'),
  ]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /predicted 1 row \(1 rejected\)/);
  const usage = runCli(['predict-batch', fixture('models', 'mlp.onnx'), '--input', bad]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /where should predictions go\?/);
  const badShard = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    bad,
    '--output',
    out,
    '--shard',
    '3/2',
  ]);
  assert.equal(badShard.status, 2);
  const badMode = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    bad,
    '--output',
    out,
    '--on-error',
    'ignore',
  ]);
  assert.equal(badMode.status, 2);
  assert.match(badMode.stderr, /Allowed choices are fail, skip/);
});

test('quantize: --json report, exit 0; a model with nothing to quantize is exit 2 and writes nothing', () => {
  const dir = tempDir('mlops-cli-q-');
  const out = path.join(dir, 'q.onnx');
  const r = runCli([
    'quantize',
    fixture('models', 'mlp.onnx'),
    '--output',
    out,
    '--validate',
    fixture('data', 'mlp.csv'),
    '--ignore',
    'id',
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.version, 1);
  assert.equal(doc.mode, 'dynamic');
  assert.ok(doc.size_ratio < 0.27);
  assert.ok(existsSync(out));
  const none = runCli(['quantize', fixture('models', 'iris-zipmap.onnx'), '--output', path.join(dir, 'n.onnx')]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^error: no weights to quantize/);
  assert.equal(existsSync(path.join(dir, 'n.onnx')), false);
  const human = runCli(['quantize', fixture('models', 'cnn.onnx'), '--output', path.join(dir, 'c.onnx')]);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /Conv nodes stay in float in dynamic mode/);
});

test('predict-batch interrupted (SIGINT, SIGTERM) removes its temporary output and dies by the signal', async () => {
  const { spawn } = await import('node:child_process');
  const { readdirSync } = await import('node:fs');
  const { writeFeatureCsv } = await import('../../bench/make-data.js');
  const { ROOT } = await import('../helpers.js');
  const dir = tempDir('mlops-cli-pred-');
  const input = path.join(dir, 'big.csv');
  await writeFeatureCsv(input, 200_000);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const out = path.join(dir, 'preds.csv');
    const child = spawn(process.execPath, [
      path.join(ROOT, 'bin', 'mlops'),
      'predict-batch',
      fixture('models', 'mlp.onnx'),
      '--input',
      input,
      '--output',
      out,
      '--keep',
      'id',
      '--batch-size',
      '256',
    ]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    // Wait until the run is under way: its temporary output exists.
    const deadline = Date.now() + 20_000;
    while (!readdirSync(dir).some((f) => f.startsWith('.preds.csv.tmp-')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(
      readdirSync(dir).some((f) => f.startsWith('.preds.csv.tmp-')),
      'the run started writing',
    );
    child.kill(signal);
    assert.equal(await exited, signal, stderr);
    assert.match(stderr, new RegExp(`interrupted \\(${signal}\\): unfinished output files were removed`));
    assert.deepEqual(readdirSync(dir), ['big.csv'], 'neither the output nor its temporary file is left');
  }
});

test('predict-batch --progress draws bytes, rows, rows/s and ETA on stderr, then the one-line summary', async () => {
  const { writeFeatureCsv } = await import('../../bench/make-data.js');
  const dir = tempDir('mlops-cli-pred-');
  const input = path.join(dir, 'big.csv');
  await writeFeatureCsv(input, 100_000);
  const r = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    input,
    '--output',
    path.join(dir, 'o.csv'),
    '--keep',
    'id',
    '--batch-size',
    '512',
    '--progress',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const frames = r.stderr.split('\r\u001b[2K').filter(Boolean);
  const progress = frames.filter((f) => f.startsWith(input));
  assert.ok(progress.length >= 1, r.stderr);
  assert.match(progress[0], /big\.csv: \d+\.\d% \d+\/\d+ MB, [\d,]+ rows, [\d,]+ rows\/s, ETA \d+\.\d s/);
  assert.match(frames[frames.length - 1], /^predicted 100,000 rows in [\d.]+ s \([\d,]+ rows\/s\) -> .*o\.csv\n$/);
});

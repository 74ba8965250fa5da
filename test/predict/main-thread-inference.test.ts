import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { predictBatch } from '../../src/predict/index.js';
import { MlopsError } from '../../src/util/errors.js';
import { fixture, ROOT, tempDir } from '../helpers.js';

/**
 * When the inference worker is behind, the main thread runs batches itself (runtime/helped-runner.ts).
 * A model that is heavy per row keeps the worker behind, so the main thread must help; each batch
 * still runs whole on one session, so the output is byte for byte the worker-only run's.
 */
test('the main thread infers batches while the worker is behind, and the output is the worker-only output', async () => {
  const dir = tempDir('mlops-main-infer-');
  const [header, ...rows] = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trim().split('\n');
  // 24,000 rows of mlp.csv's 200, renumbered.
  const lines = Array.from(
    { length: 24_000 },
    (_, i) => `${i + 1}${rows[i % rows.length].slice(rows[i % rows.length].indexOf(','))}`,
  );
  const input = path.join(dir, 'rows.csv');
  writeFileSync(input, `${header}\n${lines.join('\n')}\n`);
  const run = (mainThreadInference: boolean, output: string) =>
    predictBatch({
      model: fixture('models', 'mlp-heavy.onnx'),
      inputs: [input],
      output: path.join(dir, output),
      keep: ['id'],
      batchSize: 512,
      threads: 1,
      mainThreadInference,
    });
  const helped = await run(true, 'helped.csv');
  const alone = await run(false, 'alone.csv');
  assert.equal(alone.main_thread_batches, 0);
  assert.ok(helped.main_thread_batches > 0, `${helped.main_thread_batches} batches on the main thread`);
  assert.ok(helped.main_thread_batches < 24_000 / 512, 'the worker ran some too');
  assert.equal(helped.rows_written, 24_000);
  const a = readFileSync(path.join(dir, 'helped.csv'));
  assert.ok(a.equals(readFileSync(path.join(dir, 'alone.csv'))), 'the same bytes');
  assert.equal(a.toString().trim().split('\n').length, 24_001);
});

test('batches larger than 8,192 rows stay with the worker, and the main thread times its own runs apart from the stages', async () => {
  const dir = tempDir('mlops-main-infer-');
  const [header, ...rows] = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trim().split('\n');
  const lines = Array.from({ length: 30_000 }, (_, i) => rows[i % rows.length]);
  const input = path.join(dir, 'rows.csv');
  writeFileSync(input, `${header}\n${lines.join('\n')}\n`);
  const run = (batchSize: number) =>
    predictBatch({
      model: fixture('models', 'mlp-heavy.onnx'),
      inputs: [input],
      output: path.join(dir, `out-${batchSize}.csv`),
      ignore: ['id'],
      batchSize,
      threads: 1,
    });
  // Big batches: as without help, one in flight (memory, and a prompt answer to Ctrl-C).
  const big = await run(10_000);
  assert.equal(big.main_thread_batches, 0);
  assert.equal(big.timings_ms.infer_main_thread, 0);
  const small = await run(256);
  assert.ok(small.main_thread_batches > 0);
  const t = small.timings_ms;
  // The main thread's runs are counted once, in their own field, and the stages still fit in the run.
  assert.ok(t.infer_main_thread > 0, JSON.stringify(t));
  assert.ok(t.parse + t.infer_wait + t.format + t.write + t.infer_main_thread <= t.total, JSON.stringify(t));
  assert.ok(
    readFileSync(path.join(dir, 'out-256.csv')).equals(readFileSync(path.join(dir, 'out-10000.csv'))),
    'the same bytes',
  );
});

test('a model that cannot load is reported before too many rejects, and the rejects file is not published', async () => {
  const dir = tempDir('mlops-main-infer-');
  const input = path.join(dir, 'bad.csv');
  writeFileSync(
    input,
    'sepal_length,sepal_width,petal_length,petal_width,species\n5.0,abc,1.0,0.2,0\n5.1,3.5,1.4,0.2,0\n',
  );
  const rejects = path.join(dir, 'rejects.csv');
  await assert.rejects(
    predictBatch({
      model: fixture('broken', 'unknown-op.onnx'),
      inputs: [input],
      output: path.join(dir, 'out.csv'),
      ignore: ['species'],
      onError: 'skip',
      maxRejects: 0,
      rejects,
    }),
    (err: unknown) => err instanceof MlopsError && err.code === 'RUNTIME_LOAD_FAILED',
  );
  assert.deepEqual(readdirSync(dir), ['bad.csv']);
});

test('a model that cannot load fails at once on a stdin that has not sent a whole batch', async () => {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'mlops'),
      'predict-batch',
      fixture('broken', 'unknown-op.onnx'),
      '--input',
      '-',
      '--ignore',
      'id',
      '--output',
      path.join(tempDir('mlops-main-infer-'), 'out.csv'),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  // Five rows, then the stream stays open, as a slow producer's would.
  child.stdin.write(readFileSync(fixture('data', 'mlp.csv'), 'utf8').split('\n').slice(0, 6).join('\n') + '\n');
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  child.stdin.destroy();
  assert.equal(code, 2, stderr);
  assert.match(stderr, /onnxruntime could not load/);
});

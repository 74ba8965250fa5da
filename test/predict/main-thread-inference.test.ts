import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { predictBatch } from '../../src/predict/index.js';
import { fixture, tempDir } from '../helpers.js';

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

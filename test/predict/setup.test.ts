import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { predictBatch } from '../../src/predict/index.js';
import { MlopsError } from '../../src/util/errors.js';
import { fixture, tempDir } from '../helpers.js';

/** Counts sessions this (main) thread creates; the worker loads its own onnxruntime, not counted here. */
async function countMainThreadSessions<T>(work: () => Promise<T>): Promise<{ result: T; created: number }> {
  const session = ort.InferenceSession as unknown as { create: (...args: unknown[]) => Promise<unknown> };
  const original = session.create;
  let created = 0;
  session.create = (...args: unknown[]) => {
    created++;
    return original.apply(ort.InferenceSession, args);
  };
  try {
    return { result: await work(), created };
  } finally {
    session.create = original;
  }
}

test('a run the inference worker keeps up with compiles the model once, in the worker: no session on the main thread', async () => {
  const dir = tempDir('mlops-pred-setup-');
  const { result, created } = await countMainThreadSessions(() =>
    predictBatch({
      model: fixture('models', 'iris-zipmap.onnx'),
      inputs: [fixture('data', 'iris.csv')],
      output: path.join(dir, 'out.csv'),
      keep: ['species'],
    }),
  );
  assert.equal(created, 0);
  assert.ok(result.rows_written > 0);
  // The ZipMap rewrite still reaches the output columns through the signature (no session needed for it).
  assert.ok(result.files[0].output_columns.includes('label'), result.files[0].output_columns.join(','));
});

test('a model onnxruntime refuses fails in the worker as RUNTIME_LOAD_FAILED, the message and hint of a main-thread load', async () => {
  const dir = tempDir('mlops-pred-setup-');
  const out = path.join(dir, 'out.csv');
  await assert.rejects(
    predictBatch({
      model: fixture('broken', 'custom-domain.onnx'),
      inputs: [fixture('data', 'iris.csv')],
      output: out,
    }),
    (err: unknown) => {
      assert.ok(err instanceof MlopsError);
      assert.equal(err.code, 'RUNTIME_LOAD_FAILED');
      assert.match(err.message, /^onnxruntime could not load \S+custom-domain\.onnx: .*MyOp/);
      assert.match(err.hint ?? '', /mlops check/);
      return true;
    },
  );
  assert.equal(existsSync(out), false);
});

test('outputs are checked once, before any folder is made: a refused --output-dir run leaves no folder behind', async () => {
  const dir = tempDir('mlops-pred-setup-');
  const outputDir = path.join(dir, 'preds');
  await assert.rejects(
    predictBatch({
      model: fixture('models', 'mlp.onnx'),
      inputs: [fixture('data', 'mlp.csv')],
      outputDir,
      onError: 'skip',
      rejects: path.join(dir, 'missing', 'bad.csv'),
    }),
    (err: unknown) =>
      err instanceof MlopsError &&
      err.code === 'OUTPUT_DIR_MISSING' &&
      /the rejects file .*bad\.csv: folder .*missing does not exist/.test(err.message),
  );
  assert.equal(existsSync(outputDir), false);
});

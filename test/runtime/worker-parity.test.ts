/**
 * A session on the main thread and one in the inference worker are built the same way (one
 * createOrtSession, one toOrt), so the same feed gives the same result and the same error code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/models/load-model.js';
import type { Tensor } from '../../src/onnx/tensor.js';
import { openSession, prepareModel } from '../../src/runtime/session.js';
import { workerRunner } from '../../src/runtime/worker-session.js';
import { isMlopsError } from '../../src/util/errors.js';
import { fixture } from '../helpers.js';

async function bothPaths(feeds: () => Record<string, Tensor>): Promise<Array<string | number[]>> {
  const loaded = await loadModel(fixture('models', 'mlp.onnx'));
  const session = await openSession(loaded);
  const runner = await workerRunner(await prepareModel(loaded));
  const outcome = (p: Promise<Record<string, Tensor>>) =>
    p.then(
      (out) => out.logits.dims,
      (err: unknown) => (isMlopsError(err) ? err.code : `not an MlopsError: ${err}`),
    );
  try {
    // Fresh feeds for each path: the worker takes over the buffers it is sent.
    return [await outcome(session.run(feeds(), ['logits'])), await outcome(runner.run(feeds(), ['logits']))];
  } finally {
    await session.release();
    await runner.release();
  }
}

test('a feed onnxruntime cannot build is RUNTIME_BAD_INPUT on the main thread and in the worker', async () => {
  // 2 rows of 30 features declared, 3 values given.
  const bad = () => ({ input: { name: 'input', type: 'float32' as const, dims: [2, 30], data: new Float32Array(3) } });
  assert.deepEqual(await bothPaths(bad), ['RUNTIME_BAD_INPUT', 'RUNTIME_BAD_INPUT']);
});

test('a feed the model refuses is RUNTIME_RUN_FAILED on both; a good one runs on both', async () => {
  const wrongWidth = () => ({
    input: { name: 'input', type: 'float32' as const, dims: [2, 3], data: new Float32Array(6) },
  });
  assert.deepEqual(await bothPaths(wrongWidth), ['RUNTIME_RUN_FAILED', 'RUNTIME_RUN_FAILED']);
  const good = () => ({
    input: { name: 'input', type: 'float32' as const, dims: [2, 30], data: new Float32Array(60) },
  });
  assert.deepEqual(await bothPaths(good), [
    [2, 2],
    [2, 2],
  ]);
});

/**
 * A request with more rows than --max-batch-rows runs in slices of at most that many,
 * on real inference workers over the MLP fixture: no batch exceeds the maximum, small
 * requests go between its slices or share a batch with its last, and every request gets exactly its own
 * rows back, equal to onnxruntime's answer on the same rows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Tensor } from '../../src/onnx/tensor.js';
import { openSession, prepareModel } from '../../src/runtime/session.js';
import { type Runner, workerRunner } from '../../src/runtime/worker-session.js';
import { Batcher } from '../../src/serve/batcher.js';
import { tensorData } from '../../src/serve/datatypes.js';
import { serve } from '../../src/serve/index.js';
import { fixture } from '../helpers.js';

const MLP = fixture('models', 'mlp.onnx');
const source = { path: MLP, dir: path.dirname(MLP), bytes: readFileSync(MLP) };

function rows(n: number, seed: number): number[][] {
  return Array.from({ length: n }, (_, r) => Array.from({ length: 30 }, (_, k) => Math.sin((seed + r) * 31 + k) * 3));
}

function input(data: number[][]): Record<string, Tensor> {
  return { input: { name: 'input', type: 'float32', dims: [data.length, 30], data: Float32Array.from(data.flat()) } };
}

/** onnxruntime's own answer for these rows, run directly in one call. */
async function reference(data: number[][]): Promise<number[]> {
  const session = await openSession(source);
  try {
    return tensorData((await session.run(input(data))).logits) as number[];
  } finally {
    await session.release();
  }
}

let runners: Runner[];
before(async () => {
  const prepared = await prepareModel(source);
  runners = await Promise.all([workerRunner(prepared, 1), workerRunner(prepared, 1)]);
});
after(() => Promise.all(runners.map((r) => r.release())));

test('a request larger than a batch runs in slices; small ones share its last slice; each gets its own rows', async () => {
  const batcher = new Batcher(runners, ['logits'], {
    maxBatchRows: 8,
    maxQueueDelayMs: 50,
    maxQueueRows: 1000,
    batching: true,
  });
  const batches: number[] = [];
  batcher.onBatch = (n) => batches.push(n);
  // Slices of 8 from the 27- and 20-row requests; the small ones (2 + 3 + 1) go between them in one batch.
  const requests = [rows(27, 0), rows(2, 100), rows(3, 200), rows(1, 300), rows(20, 400)];
  const want = await Promise.all(requests.map(reference));
  const got = await Promise.all(requests.map((r) => batcher.submit(input(r), r.length)));
  got.forEach((g, i) => {
    assert.deepEqual(g.outputs.logits.dims, [requests[i].length, 2], `request ${i}`);
    assert.deepEqual(tensorData(g.outputs.logits), want[i], `request ${i}`);
    assert.ok(g.batchRows <= 8);
  });
  assert.ok(Math.max(...batches) <= 8, `batches ${batches}`);
  assert.equal(
    batches.reduce((a, b) => a + b, 0),
    53,
  );
  // Fewer batches than requests would need if the small ones ran alone after the slices.
  assert.ok(batches.length <= 9, `batches ${batches}`);
  assert.equal(batcher.pending, 0);
});

test('a small request behind a large one is answered between its slices, not after all of them', async () => {
  const batcher = new Batcher([runners[0]], ['logits'], {
    maxBatchRows: 8,
    maxQueueDelayMs: 1,
    maxQueueRows: 10_000,
    batching: true,
  });
  const order: string[] = [];
  const big = rows(400, 1000);
  const small = rows(1, 2000);
  const noted =
    <T>(name: string) =>
    (r: T) => {
      order.push(name);
      return r;
    };
  const [b, s] = await Promise.all([
    batcher.submit(input(big), 400).then(noted('big')),
    batcher.submit(input(small), 1).then(noted('small')),
  ]);
  assert.deepEqual(order, ['small', 'big']);
  assert.deepEqual(tensorData(b.outputs.logits), await reference(big));
  assert.deepEqual(tensorData(s.outputs.logits), await reference(small));
});

test('a failing slice fails its request once and the rest of it leaves the queue', async () => {
  const batcher = new Batcher(runners, ['logits'], {
    maxBatchRows: 4,
    maxQueueDelayMs: 1,
    maxQueueRows: 1000,
    batching: true,
  });
  // 10 values per row where the model takes 30: onnxruntime refuses the first slice.
  const bad = { input: { name: 'input', type: 'float32', dims: [12, 10], data: new Float32Array(120) } } as const;
  await assert.rejects(batcher.submit(bad as unknown as Record<string, Tensor>, 12));
  // Its second slice may still be running on the other worker; nothing of it stays queued.
  for (let i = 0; i < 100 && batcher.pending > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(batcher.pending, 0);
  const ok = rows(5, 7);
  const g = await batcher.submit(input(ok), 5);
  assert.deepEqual(tensorData(g.outputs.logits), await reference(ok));
});

test('over HTTP, a 300-row request with --max-batch-rows 64 answers its rows and no batch exceeds 64', async () => {
  const server = await serve({ models: [MLP], port: 0, maxBatchRows: 64, maxQueueDelayMs: 2 });
  try {
    const big = rows(300, 9);
    const smalls = [rows(1, 500), rows(4, 600)];
    const all = [big, ...smalls];
    const want = await Promise.all(all.map(reference));
    const answers = await Promise.all(
      all.map(async (r) => {
        const res = await fetch(`${server.url}/v2/models/mlp/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: [{ name: 'input', shape: [r.length, 30], datatype: 'FP32', data: r }] }),
        });
        assert.equal(res.status, 200);
        return ((await res.json()) as { outputs: Array<{ data: number[] }> }).outputs[0].data;
      }),
    );
    answers.forEach((a, i) => assert.deepEqual(a, want[i], `request ${i}`));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const over = [...metrics.matchAll(/batch_rows_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/g)];
    assert.ok(over.length > 0, 'the batch-size histogram is exported');
    const count = Number(/batch_rows_count\{[^}]*\} (\d+)/.exec(metrics)?.[1]);
    for (const [, le, n] of over) if (le !== '+Inf' && Number(le) >= 64) assert.equal(Number(n), count, `le=${le}`);
    assert.ok(count >= 5, `a 300-row request is at least 5 batches of 64 (count ${count})`);
  } finally {
    await server.close(1000);
  }
});

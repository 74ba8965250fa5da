/**
 * Large bodies over real HTTP on 127.0.0.1:0: an OIP infer body of 1 MiB or
 * more is parsed and turned into tensors in the parse worker, with the same
 * answers and the same 400 messages as the event-loop path, and health checks
 * keep answering while four 30 MB bodies arrive at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { serve, type ServeHandle } from '../../src/serve/index.js';
import { fixture } from '../helpers.js';

const MLP = fixture('models', 'mlp.onnx');
let server: ServeHandle;
before(async () => {
  server = await serve({ models: [MLP], port: 0 });
});
after(() => server.close(1000));

function rows(n: number): number[][] {
  return Array.from({ length: n }, (_, r) => Array.from({ length: 30 }, (_, k) => Math.sin(r * 31 + k) * 3));
}

function inferBody(data: unknown, shape: number[], datatype = 'FP32'): string {
  return JSON.stringify({ inputs: [{ name: 'input', shape, datatype, data }] });
}

async function infer(body: string | Buffer) {
  const res = await fetch(`${server.url}/v2/models/mlp/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error?: string; outputs?: Array<{ data: number[] }> } };
}

test('a large body (worker path) answers what the same rows answer in small bodies (loop path)', async () => {
  const data = rows(2500);
  const large = inferBody(data, [2500, 30]);
  assert.ok(large.length > 1024 * 1024, 'the body takes the worker path');
  const big = await infer(large);
  assert.equal(big.status, 200, JSON.stringify(big.body).slice(0, 200));
  const small: number[] = [];
  for (let i = 0; i < data.length; i += 500) {
    const part = await infer(inferBody(data.slice(i, i + 500), [500, 30]));
    assert.equal(part.status, 200);
    small.push(...(part.body.outputs?.[0].data ?? []));
  }
  assert.deepEqual(big.body.outputs?.[0].data, small);
});

test('a large body with a bad value or bad JSON gets the same 400 as a small one', async () => {
  const data = rows(2500);
  data[1200][7] = 'x' as unknown as number;
  const smallData = [data[1200]];
  const large = await infer(inferBody(data, [2500, 30]));
  const small = await infer(inferBody(smallData, [1, 30]));
  assert.equal(large.status, 400);
  assert.equal(small.status, 400);
  assert.equal(large.body.error, small.body.error?.replace('value 7 ', `value ${1200 * 30 + 7} `));
  const wrongType = await infer(inferBody(rows(2500), [2500, 30], 'FP64'));
  assert.equal(wrongType.status, 400);
  assert.match(String(wrongType.body.error), /input "input" is FP32, the request says "FP64"/);
  const broken = await infer(`${inferBody(rows(2500), [2500, 30])}]`);
  assert.equal(broken.status, 400);
  assert.match(String(broken.body.error), /^the body is not JSON/);
});

test('health checks keep answering while four 30 MB bodies are parsed', async () => {
  const payload = Buffer.from(inferBody(rows(52_000), [52_000, 30]));
  assert.ok(payload.length > 28 * 1024 * 1024);
  const latencies: number[] = [];
  let sending = true;
  const probes = (async () => {
    while (sending) {
      const t = performance.now();
      assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  // More rows than the queue takes: parsed and built in full, then 413, so the test does not wait for inference.
  const statuses = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const res = await fetch(`${server.url}/v2/models/mlp/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
      });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  sending = false;
  await probes;
  assert.deepEqual(statuses, [413, 413, 413, 413]);
  const slowest = Math.max(...latencies);
  // On the event loop the four bodies held health checks 1.5 to 3 s on a 2-core machine; in the worker about 0.1 s.
  assert.ok(slowest < 1000, `the slowest health check took ${Math.round(slowest)} ms`);
});

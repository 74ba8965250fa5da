/**
 * The per-request deadline (--timeout): a request whose inference outlasts it is
 * 504 with the protocol's error body and a log line; the late inference still
 * ends, its worker goes back to work, and the server stays healthy.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { serve, type ServeHandle } from '../../src/serve/index.js';
import { fixture } from '../helpers.js';

const ROWS = 4000;
let server: ServeHandle;
const log: Array<Record<string, unknown>> = [];
before(async () => {
  // 1 ms: 4,000 rows of the 30-256-256-2 MLP take tens of ms on one thread, so the deadline always passes first.
  server = await serve({
    models: [fixture('models', 'mlp.onnx')],
    port: 0,
    instances: 1,
    threads: 1,
    timeoutMs: 1,
    log: (l) => log.push(l),
  });
});
after(() => server.close(1000));

test('a request past --timeout is 504 with {"error"}, logged; the server stays healthy and its worker comes back', async () => {
  const data = Array.from({ length: ROWS * 30 }, (_, i) => Math.sin(i));
  const res = await fetch(`${server.url}/v2/models/mlp/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'slow-1' },
    body: JSON.stringify({ inputs: [{ name: 'input', shape: [ROWS, 30], datatype: 'FP32', data }] }),
  });
  assert.equal(res.status, 504);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(await res.json(), { error: 'no answer within 1 ms (--timeout)' });
  const line = log.find((l) => l.request_id === 'slow-1');
  assert.ok(line, JSON.stringify(log));
  assert.deepEqual([line.status, line.model, line.error], [504, 'mlp', 'no answer within 1 ms (--timeout)']);
  assert.equal(typeof line.latency_ms, 'number');

  // The abandoned inference finishes in its worker, which then takes batches again.
  const batcher = server.models[0].current.batcher;
  const deadline = Date.now() + 10_000;
  while (batcher.pending > 0) {
    assert.ok(Date.now() < deadline, 'the late inference never ended');
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal((await fetch(`${server.url}/v2/health/live`)).status, 200);
  assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /mlops_serve_request_duration_seconds_count\{[^}]*endpoint="infer",status="504"\} 1\n/);
  // Nothing is left in flight but the scrape itself, and no worker died.
  assert.match(metrics, /^mlops_serve_requests_in_flight 1$/m);
  assert.match(metrics, /mlops_serve_worker_restarts_total\{model="mlp",result="replaced"\} 0\n/);
  // The worker answers again (straight through the batcher: every HTTP infer here has 1 ms).
  const one = Float32Array.from({ length: 30 }, (_, k) => Math.cos(k));
  const out = await batcher.submit({ input: { name: 'input', type: 'float32', dims: [1, 30], data: one } }, 1);
  assert.deepEqual(out.outputs.logits.dims, [1, 2]);
});

/**
 * The smaller findings of the review of `mlops serve`, over real HTTP on
 * 127.0.0.1:0: GET-only health and metadata, a null requested output, FP16
 * overflow written as "inf" like /invocations, nested data that does not
 * match its shape, raw deflate bodies, unreachable names and --instances.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { serve, type ServeHandle } from '../../src/serve/index.js';
import { fixture, runCli } from '../helpers.js';

let server: ServeHandle;
before(async () => {
  server = await serve({ models: [fixture('models', 'mlp.onnx'), fixture('models', 'half-output.onnx')], port: 0 });
});
after(() => server.close(1000));

const row = (i: number) => Array.from({ length: 30 }, (_, k) => Math.sin(i + k));

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('health and metadata paths take GET or HEAD only (405 with Allow)', async () => {
  for (const p of ['/v2/health/live', '/v2/health/ready', '/v2', '/v2/models/mlp', '/v2/models/mlp/ready', '/ping']) {
    const res = await fetch(`${server.url}${p}`, { method: 'DELETE' });
    assert.equal(res.status, 405, p);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    assert.equal((await fetch(`${server.url}${p}`, { method: 'HEAD' })).status, 200, p);
  }
});

test('"outputs": [null] says what is wrong with the item', async () => {
  const r = await post('/v2/models/mlp/infer', {
    inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row(1) }],
    outputs: [null],
  });
  assert.equal(r.status, 400);
  assert.match(String(r.body.error), /^"outputs"\[0\] is null: each requested output is \{"name": "<output>"\}/);
});

test('nested data must nest as its shape says; flat data stays row-major', async () => {
  const infer = (shape: number[], data: unknown) =>
    post('/v2/models/mlp/infer', { inputs: [{ name: 'input', shape, datatype: 'FP32', data }] });
  const tooDeep = await infer([1, 30], [[row(1)]]);
  assert.equal(tooDeep.status, 400);
  assert.match(
    String(tooDeep.body.error),
    /"data"\[0\] should be a list of 30 \(dimension 1 of shape \[1, 30\]\); it is a list of 1/,
  );
  const ragged = await infer([2, 30], [row(1), [row(2)]]);
  assert.equal(ragged.status, 400);
  assert.match(String(ragged.body.error), /"data"\[1\] should be a list of 30 .* it is a list of 1/);
  assert.equal((await infer([2, 30], [row(1), row(2)])).status, 200);
  assert.equal((await infer([2, 30], [...row(1), ...row(2)])).status, 200);
});

test('FP16 overflow is "inf" in OIP as in /invocations', async () => {
  const meta = (await (await fetch(`${server.url}/v2/models/half-output`)).json()) as {
    inputs: Array<{ name: string; datatype: string; shape: number[] }>;
  };
  const input = meta.inputs[0];
  const width = input.shape[1];
  const data = Array.from({ length: width }, () => 1e6);
  const r = await post('/v2/models/half-output/infer', {
    inputs: [{ name: input.name, shape: [1, width], datatype: input.datatype, data }],
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const values = (r.body.outputs as Array<{ data: unknown[] }>)[0].data;
  assert.ok(values.includes('inf') || values.includes('-inf'), JSON.stringify(values));
  assert.ok(!values.includes(null));
});

test('deflate bodies are read with and without the zlib header', async () => {
  const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row(3) }] });
  const zlib = await post('/v2/models/mlp/infer', deflateSync(body), { 'content-encoding': 'deflate' });
  const raw = await post('/v2/models/mlp/infer', deflateRawSync(body), { 'content-encoding': 'deflate' });
  assert.equal(zlib.status, 200, JSON.stringify(zlib.body));
  assert.equal(raw.status, 200, JSON.stringify(raw.body));
  assert.deepEqual(raw.body.outputs, zlib.body.outputs);
});

test('a name that is not one URL path segment, and --instances beyond the maximum, are exit 2', () => {
  const mlp = fixture('models', 'mlp.onnx');
  const slash = runCli(['serve', mlp, '--port', '0', '--name', 'a/b']);
  assert.equal(slash.status, 2);
  assert.match(slash.stderr, /--name "a\/b" cannot be served: it holds "\/"/);
  const many = runCli(['serve', mlp, '--port', '0', '--instances', '1000']);
  assert.equal(many.status, 2);
  assert.match(many.stderr, /--instances 1000 is out of range: 1 to 32/);
});

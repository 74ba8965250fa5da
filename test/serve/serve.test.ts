/**
 * `mlops serve` over real HTTP on an ephemeral port of 127.0.0.1: Open Inference
 * Protocol metadata and infer for every datatype the fixtures carry, answers
 * equal to onnxruntime's on the same rows (also when concurrent requests share
 * a batch), and the 400/401/404/405/413/503 cases.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openSession } from '../../src/runtime/session.js';
import { serve, type ServeHandle } from '../../src/serve/index.js';
import { oipDatatype, tensorData } from '../../src/serve/datatypes.js';
import type { Tensor } from '../../src/onnx/tensor.js';
import { fixture, tempDir } from '../helpers.js';

const MLP = fixture('models', 'mlp.onnx');

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

function row(seed: number): number[] {
  return Array.from({ length: 30 }, (_, k) => Math.sin(seed * 31 + k) * 3);
}

/** onnxruntime's own answer for these rows of the MLP, run directly. */
async function reference(rows: number[][]): Promise<number[]> {
  const session = await openSession({ path: MLP, dir: path.dirname(MLP), bytes: readFileSync(MLP) });
  try {
    const out = await session.run({
      input: { type: 'float32', dims: [rows.length, 30], data: Float32Array.from(rows.flat()) },
    });
    return tensorData(out.logits) as number[];
  } finally {
    await session.release();
  }
}

let server: ServeHandle;
before(async () => {
  server = await serve({ models: [MLP], port: 0, maxQueueDelayMs: 5 });
});
after(() => server.close(1000));

test('metadata, health and server endpoints answer as the protocol says', async () => {
  const meta = await (await fetch(`${server.url}/v2/models/mlp`)).json();
  assert.deepEqual(meta, {
    name: 'mlp',
    versions: [],
    platform: 'onnx_onnxv1',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }],
    outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 2] }],
  });
  assert.equal((await fetch(`${server.url}/v2/health/live`)).status, 200);
  assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
  assert.deepEqual(await (await fetch(`${server.url}/v2/models/mlp/ready`)).json(), { name: 'mlp', ready: true });
  const v2 = (await (await fetch(`${server.url}/v2`)).json()) as { name: string };
  assert.equal(v2.name, 'mlops');
});

test('infer equals onnxruntime on the same rows, with the id echoed; nested and flat data alike', async () => {
  const rows = [row(1), row(2), row(3)];
  const want = await reference(rows);
  for (const data of [rows, rows.flat()]) {
    const r = await post(`${server.url}/v2/models/mlp/infer`, {
      id: 'req-1',
      inputs: [{ name: 'input', shape: [3, 30], datatype: 'FP32', data }],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.id, 'req-1');
    assert.equal(r.body.model_name, 'mlp');
    const [out] = r.body.outputs as Array<{ name: string; shape: number[]; datatype: string; data: number[] }>;
    assert.deepEqual([out.name, out.shape, out.datatype], ['logits', [3, 2], 'FP32']);
    assert.deepEqual(out.data, want);
  }
});

test('concurrent requests share batches, and each gets exactly its own rows back', async () => {
  const n = 60;
  const rows = Array.from({ length: n }, (_, i) => row(100 + i));
  const want = await reference(rows);
  const answers = await Promise.all(
    rows.map((r) =>
      post(`${server.url}/v2/models/mlp/infer`, {
        inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: r }],
      }),
    ),
  );
  answers.forEach((a, i) => {
    assert.equal(a.status, 200);
    const [out] = a.body.outputs as Array<{ data: number[] }>;
    assert.deepEqual(out.data, want.slice(i * 2, i * 2 + 2), `request ${i}`);
  });
});

test('bad requests are 400 naming the input, the expected and the given shape; unknown paths 404; GET infer 405', async () => {
  const cases: Array<[unknown, RegExp]> = [
    [
      { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
      /input "input" has shape \[-1, 30\]; the request gives \[1, 3\]/,
    ],
    [
      { inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP64', data: row(1) }] },
      /input "input" is FP32, the request says "FP64"/,
    ],
    [{ inputs: [{ name: 'nope', shape: [1, 30], datatype: 'FP32', data: row(1) }] }, /the model has no input "nope"/],
    [
      { inputs: [{ name: 'input', shape: [2, 30], datatype: 'FP32', data: row(1) }] },
      /shape \[2, 30\] holds 60 values, "data" has 30/,
    ],
    [
      { inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: [...row(1).slice(1), 'x'] }] },
      /value 29 is "x", not a finite number/,
    ],
    [{}, /the request needs "inputs"/],
    [
      { inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: [1e300, ...row(1).slice(1)] }] },
      /value 0 \(1e\+300\) is beyond what float32 holds/,
    ],
    [
      { inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: [true, ...row(1).slice(1)] }] },
      /value 0 is true, not a finite number/,
    ],
    [
      `{"inputs":[{"name":"input","shape":[1,30],"datatype":"FP32","data":[1e400${',0'.repeat(29)}]}]}`,
      /value 0 is Infinity, not a finite number/,
    ],
    [
      { id: { a: 1 }, inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row(1) }] },
      /"id" must be a string/,
    ],
    [
      {
        inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row(1) }],
        outputs: [{ name: 'logits' }, { name: 'logits' }],
      },
      /output "logits" is asked for twice/,
    ],
    [
      `{"inputs":[{"name":"input","shape":[1,30],"datatype":"FP32","data":${'['.repeat(100_000)}1${']'.repeat(100_000)}}]}`,
      // Refused by the nesting limit before any parse (json-depth.ts).
      /nests deeper than 64 levels of \[ and \{/,
    ],
    [
      {
        inputs: [
          { name: 'input', shape: [1, 30], datatype: 'FP32', data: row(1) },
          { name: 'input', shape: [1, 30], datatype: 'FP32', data: row(2) },
        ],
      },
      /input "input" is given twice/,
    ],
    ['{not json', /the body is not JSON/],
  ];
  for (const [body, message] of cases) {
    const r = await post(`${server.url}/v2/models/mlp/infer`, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(String(r.body.error), message);
  }
  assert.equal((await fetch(`${server.url}/v2/models/other`)).status, 404);
  assert.equal((await fetch(`${server.url}/v2/models/mlp/versions/3`)).status, 404);
  assert.equal((await fetch(`${server.url}/v2/models/mlp/infer`)).status, 405);
  const malformed = await fetch(`${server.url}/v2/models/%E0%A4%A`);
  assert.equal(malformed.status, 400);
  assert.match(((await malformed.json()) as { error: string }).error, /malformed %-escape/);
});

test('every datatype the fixtures carry (FP64, INT32, BOOL, BYTES in; INT64, FP16 out) equals onnxruntime run directly', async () => {
  const cases: Array<{
    model: string;
    input: { name: string; shape: number[]; datatype: string; data: unknown[] };
    tensor: Tensor;
  }> = [
    {
      model: 'float64-input',
      input: { name: 'x', shape: [1, 3], datatype: 'FP64', data: [1, 2, 3] },
      tensor: { type: 'float64', dims: [1, 3], data: Float64Array.from([1, 2, 3]) },
    },
    {
      model: 'int32-counts',
      input: { name: 'counts', shape: [2, 3], datatype: 'INT32', data: [1, 5, 2, 7, 0, 3] },
      tensor: { type: 'int32', dims: [2, 3], data: Int32Array.from([1, 5, 2, 7, 0, 3]) },
    },
    {
      model: 'bool-matrix',
      input: { name: 'flags', shape: [2, 3], datatype: 'BOOL', data: [true, false, true, false, false, false] },
      tensor: { type: 'bool', dims: [2, 3], data: Uint8Array.from([1, 0, 1, 0, 0, 0]) },
    },
    {
      model: 'text-matrix',
      input: { name: 'words', shape: [1, 2], datatype: 'BYTES', data: ['a', 'b'] },
      tensor: { type: 'string', dims: [1, 2], data: ['a', 'b'] },
    },
    {
      model: 'half-output',
      input: { name: 'x', shape: [1, 2], datatype: 'FP32', data: [0.5, -2] },
      tensor: { type: 'float32', dims: [1, 2], data: Float32Array.from([0.5, -2]) },
    },
  ];
  const handle = await serve({ models: cases.map((c) => fixture('models', `${c.model}.onnx`)), port: 0 });
  try {
    for (const c of cases) {
      const file = fixture('models', `${c.model}.onnx`);
      const session = await openSession({ path: file, dir: path.dirname(file), bytes: readFileSync(file) });
      const direct = await session.run({ [c.input.name]: c.tensor });
      await session.release();
      const r = await post(`${handle.url}/v2/models/${c.model}/infer`, { inputs: [c.input] });
      assert.equal(r.status, 200, `${c.model}: ${JSON.stringify(r.body)}`);
      const outputs = r.body.outputs as Array<{ name: string; datatype: string; shape: number[]; data: unknown[] }>;
      assert.deepEqual(
        outputs.map((o) => [o.name, o.datatype, o.shape, o.data]),
        Object.values(direct).map((t) => [t.name, oipDatatype(t.type), t.dims, tensorData(t)]),
        c.model,
      );
    }
    const bad = await post(`${handle.url}/v2/models/int32-counts/infer`, {
      inputs: [{ name: 'counts', shape: [1, 3], datatype: 'INT32', data: [1, 2.5, 3] }],
    });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /value 1 \(2\.5\) is not an integer/);
  } finally {
    await handle.close(1000);
  }
});

test('a body over the limit is 413 before parsing; a full queue is 503 with Retry-After', async () => {
  const handle = await serve({ models: [MLP], port: 0, maxBodyBytes: 1500, maxQueueRows: 1, instances: 1 });
  try {
    const big = await post(`${handle.url}/v2/models/mlp/infer`, `{"inputs":[${' '.repeat(2000)}]}`);
    assert.equal(big.status, 413);
    // Chunked (no Content-Length): counted as it comes, and answered with 413, not a reset connection.
    const chunked = await fetch(`${handle.url}/v2/models/mlp/infer`, {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 100; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(1000)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
    assert.match(((await chunked.json()) as { error: string }).error, /over the limit of 1500 bytes/);
    const many = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        post(`${handle.url}/v2/models/mlp/infer`, {
          inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row(i) }],
        }),
      ),
    );
    // More rows in one request than the queue holds: never acceptable, so 413 rather than a 503 to retry.
    const tooMany = await post(`${handle.url}/v2/models/mlp/infer`, {
      inputs: [{ name: 'input', shape: [2, 30], datatype: 'FP32', data: [row(1), row(2)] }],
    });
    assert.equal(tooMany.status, 413);
    assert.match(String(tooMany.body.error), /the request has 2 rows; one request may carry 1/);
    const refused = many.filter((r) => r.status === 503);
    assert.ok(refused.length > 0, 'some requests found the queue full');
    assert.ok(many.some((r) => r.status === 200));
    for (const r of refused) assert.equal(r.headers.get('retry-after'), '1');
  } finally {
    await handle.close(1000);
  }
});

test('with a token every endpoint but health needs it (401), compared in constant time', async () => {
  const handle = await serve({ models: [MLP], port: 0, token: 's3cret-token' });
  try {
    assert.equal((await fetch(`${handle.url}/v2/health/ready`)).status, 200);
    assert.equal((await fetch(`${handle.url}/v2/models/mlp`)).status, 401);
    assert.equal(
      (await fetch(`${handle.url}/v2/models/mlp`, { headers: { authorization: 'Bearer wrong' } })).status,
      401,
    );
    assert.equal(
      (await fetch(`${handle.url}/v2/models/mlp`, { headers: { authorization: 'Bearer s3cret-token' } })).status,
      200,
    );
  } finally {
    await handle.close(1000);
  }
});

test('a registry reference is served under its name, answering with its version', async () => {
  const registry = tempDir();
  const { registerModel, promote } = await import('../../src/release/index.js');
  await registerModel({ registry, name: 'fraud', file: MLP });
  await promote({ registry, ref: 'fraud@1', to: 'production' });
  const handle = await serve({ models: ['fraud@production'], registry, port: 0 });
  try {
    const r = await post(`${handle.url}/v2/models/fraud/versions/1/infer`, {
      inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row(7) }],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.model_version, '1');
    assert.deepEqual(
      ((await (await fetch(`${handle.url}/v2/models/fraud`)).json()) as { versions: string[] }).versions,
      ['1'],
    );
  } finally {
    await handle.close(1000);
  }
});

/**
 * Hostile nesting over real HTTP on 127.0.0.1:0: a body nested beyond the
 * documented depth is 400 naming the limit, on every path (small bodies on
 * the loop, large ones in the parse worker, /invocations), and the bodies of
 * other clients parsed at the same time are answered as usual.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tooDeep } from '../../src/serve/json-depth.js';
import { serve, type ServeHandle } from '../../src/serve/index.js';
import { fixture } from '../helpers.js';

const MLP = fixture('models', 'mlp.onnx');
let server: ServeHandle;
before(async () => {
  server = await serve({ models: [MLP], port: 0 });
});
after(() => server.close(1000));

const nested = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

async function post(path: string, body: string) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error?: string; outputs?: unknown[] } };
}

function rows(n: number): number[][] {
  return Array.from({ length: n }, (_, r) => Array.from({ length: 30 }, (_, k) => Math.cos(r + k)));
}

test('deep shape, data, id and dataframe_records are 400 naming the limit; other clients are answered', async () => {
  const infer = '/v2/models/mlp/infer';
  const hostile = [
    post(infer, `{"inputs":[{"name":"input","shape":${nested(700_000)},"datatype":"FP32","data":[1]}]}`),
    post(infer, `{"inputs":[{"name":"input","shape":[1,30],"datatype":"FP32","data":${nested(600_000)}}]}`),
    post(infer, `{"id":${nested(600_000)},"inputs":[]}`),
    post(infer, `{"id":${nested(100)},"inputs":[]}`),
    post('/invocations', `{"dataframe_records":[{"a":${nested(100_000)}}]}`),
  ];
  // Large bodies of other clients, parsed in the same worker at the same time.
  const data = rows(4000);
  const honest = Array.from({ length: 3 }, () =>
    post(infer, JSON.stringify({ inputs: [{ name: 'input', shape: [4000, 30], datatype: 'FP32', data }] })),
  );
  for (const r of await Promise.all(hostile)) {
    assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 200));
    assert.match(String(r.body.error), /nests deeper than 64 levels of \[ and \{.*64 is the limit/);
  }
  for (const r of await Promise.all(honest)) assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 200));
});

test('the depth scan skips brackets inside strings and allows 64 levels', () => {
  assert.equal(tooDeep(Buffer.from(nested(64))), undefined);
  assert.match(String(tooDeep(Buffer.from(nested(65)))), /deeper than 64/);
  assert.equal(tooDeep(Buffer.from(JSON.stringify({ id: '['.repeat(1000), s: 'a\\"[[[' }))), undefined);
});
